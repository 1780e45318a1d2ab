import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { BENCH_DIR } from './lib.js'

/**
 * A long-running bench process (a holder, a listener) that prints JSON lines:
 * `next()` waits for the next one; `stop()` sends SIGTERM and waits for exit.
 */
export class BenchChild {
  private readonly child: ChildProcess
  private readonly lines: unknown[] = []
  private waiting: Array<(value: unknown) => void> = []
  private readonly exited: Promise<number | null>

  constructor (script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [join(BENCH_DIR, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } })
    createInterface({ input: this.child.stdout! }).on('line', line => {
      let value: unknown
      try { value = JSON.parse(line) } catch { return }
      const waiter = this.waiting.shift()
      if (waiter !== undefined) waiter(value)
      else this.lines.push(value)
    })
    this.exited = new Promise(resolve => { this.child.on('exit', code => { resolve(code) }) })
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
    if (this.child.exitCode === null) this.child.kill('SIGTERM')
    await this.exited
  }
}
