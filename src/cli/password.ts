/**
 * Passwords for password-protected links. Never from an argument (it would
 * show in `ps` and shell history): asked on the terminal without echo,
 * read from `--password-file <path>`, or from stdin's first line when stdin
 * is not a terminal and does not carry the link itself.
 */
import { InputError } from '../errors.js'
import { InterruptedError, UsageError } from './errors.js'
import { readSmallFile } from './small-file.js'

const MAX_PASSWORD_BYTES = 4096
/** Below this many characters, `share --password` warns. */
export const SHORT_PASSWORD = 10

export interface PasswordSource {
  /** --password-file <path>. */
  file?: string
  /** The link itself was read from stdin, so stdin cannot give the password too. */
  stdinTaken?: boolean
}

export interface PasswordOptions {
  /** Ask twice on a terminal (a new password). */
  confirm?: boolean
  /** The prompt, without its colon. */
  prompt?: string
  signal?: AbortSignal
  stdin?: NodeJS.ReadStream
  stderr?: NodeJS.WritableStream
}

export async function readPassword (source: PasswordSource, options: PasswordOptions = {}): Promise<string> {
  const stdin = options.stdin ?? process.stdin
  let password: string
  if (source.file !== undefined) {
    password = firstLine(await readSmallFile(source.file, MAX_PASSWORD_BYTES, 'password file', 'the password on its first line'), `--password-file ${source.file}`)
  } else if (stdin.isTTY === true) {
    password = await ask(options.prompt ?? 'Password', options)
    if (options.confirm === true && await ask('Again, to confirm', options) !== password) throw new UsageError('the two passwords differ: run the command again')
  } else if (source.stdinTaken === true) {
    throw new UsageError('the link came from stdin, so the password cannot: give it with --password-file <path>, or run on a terminal to be asked for it')
  } else {
    password = firstLine(await readStream(stdin), 'stdin')
  }
  if (password.length === 0) throw new UsageError('the password is empty')
  return password
}

/** Ask on the terminal with echo off (raw mode): Enter ends, Backspace erases, Ctrl-C stops, Ctrl-U clears. */
async function ask (prompt: string, options: PasswordOptions): Promise<string> {
  const stdin = options.stdin ?? process.stdin
  const stderr = options.stderr ?? process.stderr
  options.signal?.throwIfAborted()
  stderr.write(`${prompt}: `)
  stdin.setRawMode(true)
  stdin.setEncoding('utf8')
  stdin.resume()
  try {
    return await new Promise<string>((resolve, reject) => {
      let text = ''
      const done = (err?: Error): void => {
        stdin.off('data', onData)
        options.signal?.removeEventListener('abort', onAbort)
        if (err !== undefined) reject(err)
        else resolve(text)
      }
      const onAbort = (): void => { done(new InterruptedError()) }
      const onData = (chunk: string): void => {
        for (const char of chunk) {
          if (char === '\r' || char === '\n' || char === '\u0004') { done(); return }
          if (char === '\u0003') { done(new InterruptedError()); return }
          if (char === '\u007f' || char === '\b') text = [...text].slice(0, -1).join('')
          else if (char === '\u0015') text = ''
          else if (char >= ' ') text += char
          if (Buffer.byteLength(text) > MAX_PASSWORD_BYTES) { done(new InputError(`a password is at most ${MAX_PASSWORD_BYTES} bytes`)); return }
        }
      }
      stdin.on('data', onData)
      options.signal?.addEventListener('abort', onAbort, { once: true })
    })
  } finally {
    stdin.setRawMode(false)
    stdin.pause()
    stderr.write('\n')
  }
}

/** The first line, without its line ending (a password may hold spaces: nothing else is trimmed). */
function firstLine (text: string, where: string): string {
  const line = text.split(/\r?\n/)[0] ?? ''
  if (line.length === 0) throw new UsageError(`no password in ${where}: its first line is empty`)
  return line
}

async function readStream (stdin: NodeJS.ReadableStream): Promise<string> {
  let text = ''
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    if (text.includes('\n')) break
    if (Buffer.byteLength(text) > MAX_PASSWORD_BYTES) throw new InputError(`stdin held over ${MAX_PASSWORD_BYTES} bytes without a line break: give the password on one line`)
  }
  ;(stdin as NodeJS.ReadStream).pause?.()
  return text
}

/**
 * A link whose key is under a password, opened: the password is asked for
 * (see readPassword) and Argon2id run here, before anything touches the
 * network or an output path; the result is the plain link (never printed).
 * Any other link is returned as it is.
 */
export async function unlockLinkText (text: string, source: PasswordSource, options: PasswordOptions = {}): Promise<string> {
  const { parseLink, unlockKey, formatLink } = await import('../link/index.js')
  const parsed = parseLink(text, { allowPath: true, allowName: true, allowPassword: true })
  if (parsed.lock === undefined) return text
  const password = await readPassword(source, { prompt: 'Password for this link', ...options })
  const key = await unlockKey(parsed.lock, password)
  return formatLink({ cid: parsed.cid, key, path: parsed.path })
}
