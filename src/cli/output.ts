/**
 * What the CLI prints, and how it ends. Human text by default; with --json,
 * stdout carries exactly one JSON document and nothing else. Errors are one
 * line on stderr, `veil: <what is wrong and what to do>`, in both modes.
 * Exit codes: 0 ok, 1 failure, 2 bad usage, 128 + the signal's number when
 * stopped by one (130 for Ctrl-C, 143 for SIGTERM), as shells report it.
 */
import { Writable } from 'node:stream'
import { VeilError } from '../errors.js'
import { UsageError } from './errors.js'

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2
/** Ctrl-C (SIGINT): 128 + 2. */
export const EXIT_INTERRUPTED = 130

/** The exit code of a command stopped by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode (signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : EXIT_INTERRUPTED
}

const MAX_ERROR_LENGTH = 1000

export class Output {
  constructor (
    readonly json: boolean,
    readonly stdout: NodeJS.WritableStream = process.stdout,
    readonly stderr: NodeJS.WritableStream = process.stderr
  ) {}

  /** A human line on stdout (nothing with --json). */
  line (text: string): void {
    if (!this.json) this.stdout.write(text + '\n')
  }

  /** Human commentary on stderr: what is happening, hints (nothing with --json). */
  note (text: string): void {
    if (!this.json) this.stderr.write(text + '\n')
  }

  /** A warning on stderr, with or without --json. */
  warn (text: string): void {
    this.stderr.write(`veil: warning: ${printable(oneLine(text))}\n`)
  }

  /** The command's result: one JSON document with --json, else whatever `human` prints. */
  result (document: unknown, human: () => void): void {
    if (this.json) this.stdout.write(JSON.stringify(document) + '\n')
    else human()
  }

  /** The one error line. */
  error (err: unknown): number {
    this.stderr.write(`veil: ${errorMessage(err)}\n`)
    return exitCodeOf(err)
  }
}

export function exitCodeOf (err: unknown): number {
  return err instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE
}

/** One line that says what went wrong and what to do. */
export function errorMessage (err: unknown): string {
  // Messages may quote names from shares or files: no control character reaches the terminal.
  return printable(oneLine(describe(err)))
}

function describe (err: unknown): string {
  if (!(err instanceof Error)) return `unexpected error: ${String(err)}`
  if (err.name === 'UnsupportedListenAddressesError') return listenFailure(err.message)
  if (err instanceof VeilError) return err.message
  const code = (err as NodeJS.ErrnoException).code
  if (err.name === 'AbortError' || code === 'ABORT_ERR') return 'interrupted'
  if (err.name === 'TimeoutError') return `timed out (${err.message}): check that the peers are running and reachable, then try again`
  if (code === 'EPIPE') return 'the output was closed before the share was fully written (for example by `head`)'
  if (code === 'ENOSPC') return `the disk is full (${err.message}): free some space and run the same command again`
  if (code === 'EACCES' || code === 'EPERM') return `permission denied: ${err.message}`
  return `unexpected error: ${err.message} (run with DEBUG=veil* for details)`
}

/**
 * libp2p reports every address it could not listen on in one multi-line
 * message; turn the first into advice.
 */
export function listenFailure (message: string): string {
  const match = /(\/ip[46]\/([^/\s]+)\/tcp\/(\d+))[^\n]*?(EADDRINUSE|EADDRNOTAVAIL|EACCES)/.exec(message)
  if (match === null) return `could not listen on the addresses given: ${message}`
  const [, address, ip, port, code] = match
  const family = address!.startsWith('/ip6/') ? 'ip6' : 'ip4'
  if (code === 'EADDRINUSE') return `port ${port} is in use: pass --listen /${family}/${ip}/tcp/<other port> (or tcp/0 for any free port)`
  if (code === 'EACCES') return `cannot listen on port ${port}: permission denied (ports below 1024 need privileges); pass --listen /${family}/${ip}/tcp/<port above 1024>`
  return `cannot listen on ${address}: this machine has no address ${ip}; pass --listen /${family}/0.0.0.0/tcp/${port} or one of its own addresses`
}

export function oneLine (text: string): string {
  const line = text.replace(/\s*[\r\n]+\s*/g, ' ').trim()
  return line.length > MAX_ERROR_LENGTH ? `${line.slice(0, MAX_ERROR_LENGTH)}…` : line
}

/** Names from shares and folders can hold anything: keep terminal control characters out. */
export function printable (text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?')
}

/**
 * process.stdout as a stream whose every write completes: when the reader
 * goes away (`veil get … -o - | head`), a write on a broken pipe may never
 * call back, so pending and later writes fail with EPIPE instead of hanging.
 */
export function stdoutSink (stream: NodeJS.WriteStream = process.stdout): Writable {
  let failure: Error | undefined
  const pending = new Set<(err?: Error) => void>()
  const fail = (err: Error): void => {
    failure ??= err
    for (const finish of [...pending]) finish(failure)
  }
  stream.on('error', fail)
  stream.on('close', () => { fail(Object.assign(new Error('stdout was closed'), { code: 'EPIPE' })) })
  const sink = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      if (failure !== undefined) { callback(failure); return }
      let done = false
      const finish = (err?: Error | null): void => {
        if (done) return
        done = true
        pending.delete(finish)
        callback(err ?? undefined)
      }
      pending.add(finish)
      stream.write(chunk, finish)
    }
  })
  // Failures reach the writer through its write callbacks; the event itself needs no handler.
  sink.on('error', () => {})
  return sink
}

/** Let stdout and stderr flush (a pipe may be slow), then exit. */
export async function exitWith (code: number): Promise<never> {
  const flush = async (stream: NodeJS.WriteStream): Promise<void> => {
    if (stream.destroyed || stream.writableLength === 0) return
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, 5_000)
      stream.write('', () => { clearTimeout(timer); resolve() })
    })
  }
  await Promise.all([flush(process.stdout), flush(process.stderr)])
  process.exit(code)
}
