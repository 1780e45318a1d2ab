import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { peakRssOf, spawnScript } from './lib.js'

/**
 * A long-running bench process (a holder, a listener, a server) that prints
 * JSON lines: `next()` waits for the next one; `stop()` reads its peak RSS,
 * sends SIGTERM and waits for it to exit.
 */
export class BenchChild {
  private readonly child: ChildProcess
  private readonly lines: unknown[] = []
  private waiting: Array<(value: unknown) => void> = []
  private readonly exited: Promise<number | null>
  /** Peak RSS in bytes, read just before `stop()` signalled it (Linux only). */
  peakRss: number | undefined

  /** With `ns`, the process runs inside that network namespace. */
  constructor (script: string, args: string[], env: NodeJS.ProcessEnv = {}, ns?: string) {
    this.child = spawnScript(script, args, env, ns)
    createInterface({ input: this.child.stdout! }).on('line', line => {
      let value: unknown
      try { value = JSON.parse(line) } catch { return }
      const waiter = this.waiting.shift()
      if (waiter !== undefined) waiter(value)
      else this.lines.push(value)
    })
    this.exited = new Promise(resolve => { this.child.on('exit', code => { resolve(code) }) })
  }

  /** The process id (undefined if it failed to start). */
  get pid (): number | undefined {
    return this.child.pid
  }

  async next<T> (timeoutMs = 600_000): Promise<T> {
    if (this.lines.length > 0) return this.lines.shift() as T
    return await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('bench child gave no result in time')) }, timeoutMs)
      this.exited.then(code => { clearTimeout(timer); reject(new Error(`bench child exited (${code}) before answering`)) }).catch(() => {})
      this.waiting.push(value => { clearTimeout(timer); resolve(value as T) })
    })
  }

  async stop (): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.peakRss = peakRssOf(this.child.pid) ?? this.peakRss
      this.child.kill('SIGTERM')
    }
    await this.exited
  }
}
