/**
 * A task run every `everyMs` on a timer that does not keep the process
 * alive, never two passes at once (a pass that outlasts the period skips the
 * ticks it spans). `stop()` aborts the pass under way through its signal,
 * clears the timer and waits for the pass to end; a failure is handed to
 * `onError` unless it came after stop().
 */
export class PeriodicTask {
  private timer: ReturnType<typeof setInterval> | undefined
  private stopping = new AbortController()
  private running: Promise<unknown> = Promise.resolve()
  private busy = false

  constructor (
    private readonly task: (signal: AbortSignal) => Promise<unknown>,
    private readonly everyMs: number,
    private readonly onError: (err: unknown) => void
  ) {}

  start (): void {
    if (this.timer !== undefined) return
    this.stopping = new AbortController()
    this.timer = setInterval(() => { this.tick() }, this.everyMs)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    this.stopping.abort()
    clearInterval(this.timer)
    this.timer = undefined
    await this.running
  }

  private tick (): void {
    if (this.busy) return
    this.busy = true
    const signal = this.stopping.signal
    this.running = this.task(signal)
      .catch((err: unknown) => { if (!signal.aborted) this.onError(err) })
      .finally(() => { this.busy = false })
  }
}
