/**
 * Where a command's link comes from: the argument, `-` for standard input,
 * or `--link-file <path>`. A link carries its key, and a key on the command
 * line shows in `ps` and shell history; stdin and files keep it out of both.
 * Nothing here ever prints the link.
 */
import { UsageError } from './errors.js'
import { readSmallFile } from './small-file.js'
import { InputError } from '../errors.js'

/** More than any link (they are capped at 4096 characters) plus a little room. */
const MAX_LINK_INPUT = 16 * 1024

export interface LinkSource {
  /** The argument: a link, `-` for stdin, or absent. */
  argument?: string
  /** --link-file <path>. */
  file?: string
}

/** The link text, from whichever source was given (exactly one must be). Ctrl-C (`signal`) stops a wait on stdin. */
export async function readLinkInput (source: LinkSource, options: { signal?: AbortSignal, stdin?: NodeJS.ReadableStream } = {}): Promise<string> {
  const stdin = options.stdin ?? process.stdin
  const { argument, file } = source
  if (argument !== undefined && file !== undefined) throw new UsageError('give the link either as an argument or with --link-file, not both')
  if (file !== undefined) return firstLine(await readSmallFile(file, MAX_LINK_INPUT, 'link file', 'one link on one line'), `--link-file ${file}`)
  if (argument === undefined) throw new UsageError('missing the link: give it as an argument, as - to read it from stdin, or with --link-file <path>')
  if (argument !== '-') return argument
  if ((stdin as { isTTY?: boolean }).isTTY === true) process.stderr.write('veil: paste the link, then press Enter:\n')
  return firstLine(await abortable(readStdinLine(stdin), options.signal, () => { (stdin as NodeJS.ReadStream).destroy?.() }), 'stdin')
}

/** `work`, or the signal's reason as soon as it aborts (then `stop` releases what `work` waits on). */
async function abortable<T> (work: Promise<T>, signal: AbortSignal | undefined, stop: () => void): Promise<T> {
  if (signal === undefined) return await work
  signal.throwIfAborted()
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([work, new Promise<never>((_resolve, reject) => {
      onAbort = () => { stop(); reject(signal.reason) }
      signal.addEventListener('abort', onAbort, { once: true })
    })])
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
  }
}

/** The first line that is not blank, trimmed. */
function firstLine (text: string, where: string): string {
  const line = text.split(/\r?\n/).map(l => l.trim()).find(l => l.length > 0)
  if (line === undefined) throw new UsageError(`no link in ${where}: it is empty`)
  return line
}

/** Read stdin up to its first non-blank line (or its end), and no further than MAX_LINK_INPUT bytes. */
async function readStdinLine (stdin: NodeJS.ReadableStream): Promise<string> {
  let text = ''
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    if (/\S[^\n]*\n/.test(text)) break
    if (text.length > MAX_LINK_INPUT) throw new InputError(`stdin held over ${MAX_LINK_INPUT} bytes without a link on one line`)
  }
  // Leave stdin alone from here on (a paused TTY would keep the process alive).
  ;(stdin as NodeJS.ReadStream).pause?.()
  return text
}
