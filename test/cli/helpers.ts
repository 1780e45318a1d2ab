/**
 * Run the built `veil` binary as a user would: a separate process, its own
 * repo, reading its stdout and stderr. Every process started here is killed
 * when its test (or, for shared swarms, its file) finishes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, watch } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StringDecoder } from 'node:string_decoder'
import { onTestFinished } from 'vitest'

export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url))
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: the CLI tests run the built binary, so build first (\`npm test\` does: tsc, then vitest)`)
export const MiB = 1024 * 1024
/** Where tests make nodes listen: loopback, any free port. */
export const LOOPBACK = '/ip4/127.0.0.1/tcp/0'

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  stdoutBytes: Buffer
}

export interface SpawnOptions {
  env?: Record<string, string>
  cwd?: string
  /** Kill the process when the current test finishes (default), or leave that to the caller. */
  cleanup?: 'test' | 'manual'
  /** Written to the process's stdin, which is then closed (default: no stdin at all). */
  input?: string | Buffer
}

/** The environment without the developer's own VEIL_* settings. */
export function cleanEnv (extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('VEIL_') && value !== undefined) env[name] = value
  return { ...env, ...extra }
}

/** A running `veil` process. */
export class VeilProcess {
  readonly child: ChildProcess
  stdout = ''
  stderr = ''
  /** stdout's exact bytes (for `-o -`). */
  readonly stdoutChunks: Buffer[] = []
  readonly exited: Promise<RunResult>
  private readonly listeners = new Set<() => void>()

  constructor (args: string[], options: SpawnOptions = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(options.env), cwd: options.cwd, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    if (options.input !== undefined) {
      this.child.stdin!.on('error', () => {}) // the CLI may stop reading early
      this.child.stdin!.end(options.input)
    }
    const decoder = new StringDecoder('utf8')
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.stdoutChunks.push(chunk)
      this.stdout += decoder.write(chunk)
      this.notify()
    })
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { this.stderr += chunk; this.notify() })
    this.exited = new Promise(resolve => {
      this.child.on('close', (code, signal) => {
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr, stdoutBytes: Buffer.concat(this.stdoutChunks) })
        this.notify()
      })
    })
    if ((options.cleanup ?? 'test') === 'test') onTestFinished(async () => { await this.kill() })
  }

  get running (): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Resolve with the first match of `pattern` in stdout (or stderr); reject if the process exits first. */
  async waitFor (pattern: RegExp, timeoutMs = 30_000, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpMatchArray> {
    return await new Promise((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(stream === 'stdout' ? this.stdout : this.stderr)
        if (match !== null) { done(); resolve(match); return }
        if (!this.running) { done(); reject(new Error(`veil exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${pattern}: ${this.stderr.trim()}`)) }
      }
      const timer = setTimeout(() => { done(); reject(new Error(`timed out waiting for ${pattern}; stderr: ${this.stderr.trim()}`)) }, timeoutMs)
      const done = (): void => { clearTimeout(timer); this.listeners.delete(check) }
      this.listeners.add(check)
      check()
    })
  }

  async stop (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<RunResult> {
    if (this.running) this.child.kill(signal)
    const timer = setTimeout(() => { this.child.kill('SIGKILL') }, timeoutMs)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  async kill (): Promise<void> {
    if (this.running) this.child.kill('SIGKILL')
    await this.exited
  }

  private notify (): void {
    for (const listener of [...this.listeners]) listener()
  }
}

/** Run `veil <args>` to completion. */
export async function veil (args: string[], options: Omit<SpawnOptions, 'cleanup'> & { timeoutMs?: number } = {}): Promise<RunResult> {
  const proc = new VeilProcess(args, { ...options, cleanup: 'test' })
  const timer = setTimeout(() => { proc.child.kill('SIGKILL') }, options.timeoutMs ?? 60_000)
  try {
    return await proc.exited
  } finally {
    clearTimeout(timer)
  }
}

export interface Daemon {
  proc: VeilProcess
  repo: string
  addresses: string[]
  address: string
}

/** `veil --repo <repo> node start --listen 127.0.0.1:0 …`, resolved once it prints its addresses. */
export async function startDaemon (repo: string, args: string[] = [], options: SpawnOptions = {}): Promise<Daemon> {
  const proc = new VeilProcess(['--repo', repo, 'node', 'start', '--listen', LOOPBACK, ...args], options)
  await proc.waitFor(/^listening \S+\n/m, 60_000)
  // Every address is in api.json before the first line is printed (the lines may arrive in several reads).
  const addresses = (JSON.parse(await readFile(join(repo, 'api.json'), 'utf8')) as { addresses: string[] }).addresses
  return { proc, repo, addresses, address: addresses[0]! }
}

/** The one line a failing command printed on stderr. */
export function errorLine (result: RunResult): string {
  const lines = result.stderr.trim().split('\n').filter(line => line.startsWith('veil: ') && !line.startsWith('veil: warning'))
  return lines.at(-1) ?? ''
}

/** Resolve once `path` exists (watching its folder; no fixed sleeps). */
export async function waitForFile (path: string, timeoutMs = 30_000): Promise<void> {
  const exists = async (): Promise<boolean> => await stat(path).then(() => true, () => false)
  if (await exists()) return
  await new Promise<void>((resolve, reject) => {
    const watcher = watch(dirname(path), (_event, name) => {
      if (name === basename(path)) void exists().then(yes => { if (yes) finish() })
    })
    const poll = setInterval(() => { void exists().then(yes => { if (yes) finish() }) }, 25)
    const timer = setTimeout(() => { finish(new Error(`${path} did not appear within ${timeoutMs} ms`)) }, timeoutMs)
    const finish = (err?: Error): void => {
      watcher.close()
      clearInterval(poll)
      clearTimeout(timer)
      if (err !== undefined) reject(err)
      else resolve()
    }
  })
}
