import { readFileSync } from 'node:fs'

/*
 * How long the node's event loop was blocked by the node itself.
 *
 * perf_hooks.monitorEventLoopDelay measures wall-clock delay: on a loaded
 * host (the 2-core test machines run several suites at once, load 8 was seen)
 * it also counts the time the kernel kept the thread waiting for a CPU,
 * which no node can prevent. Linux reports that wait per thread in
 * /proc/thread-self/schedstat (second field, ns on a run queue), so each
 * 10 ms tick here takes its lateness minus the run-queue wait during it: the
 * delay the node's own work caused (stalls, GC). Without schedstat the two
 * figures are the same.
 */

const SCHEDSTAT = '/proc/thread-self/schedstat'
const TICK_MS = 10

function runQueueNs (): number | undefined {
  try {
    return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[1])
  } catch {
    return undefined
  }
}

export class LoopMonitor {
  /** Largest lateness of a tick, wall clock (ms). */
  maxDelayMs = 0
  /** Largest lateness of a tick less the run-queue wait within it (ms). */
  maxOwnDelayMs = 0
  /** Run-queue wait over the window (ms): how loaded the host was. */
  waitedMs = 0
  private last = performance.now()
  private lastWait = runQueueNs()
  private timer: NodeJS.Timeout | undefined

  start (): void {
    this.timer = setInterval(() => { this.tick() }, TICK_MS)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
  }

  reset (): void {
    this.maxDelayMs = 0
    this.maxOwnDelayMs = 0
    this.waitedMs = 0
    this.last = performance.now()
    this.lastWait = runQueueNs()
  }

  private tick (): void {
    const now = performance.now()
    const wait = runQueueNs()
    const late = Math.max(0, now - this.last - TICK_MS)
    const waited = wait !== undefined && this.lastWait !== undefined ? (wait - this.lastWait) / 1e6 : 0
    this.maxDelayMs = Math.max(this.maxDelayMs, late)
    this.maxOwnDelayMs = Math.max(this.maxOwnDelayMs, late - waited)
    this.waitedMs += waited
    this.last = now
    this.lastWait = wait
  }
}
