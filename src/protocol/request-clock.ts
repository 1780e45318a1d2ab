import { TimeoutError } from '@libp2p/interface'

/**
 * The deadlines of one served request, on one signal: each frame read or
 * written must finish within its own deadline (restarted per frame), and
 * the whole request within another, however the peer trickles. Two timers
 * and one controller per stream, cleared when the request ends — not a
 * combined AbortSignal per frame, which a busy node would make by the
 * thousand and keep alive as long as the longest deadline.
 */
export class RequestClock {
  private readonly controller = new AbortController()
  private frameTimer: ReturnType<typeof setTimeout> | undefined
  private wholeTimer: ReturnType<typeof setTimeout> | undefined

  constructor (wholeMs: number) {
    this.setWhole(wholeMs)
  }

  get signal (): AbortSignal {
    return this.controller.signal
  }

  /** The whole request must end within `ms` from now. */
  setWhole (ms: number): void {
    clearTimeout(this.wholeTimer)
    this.wholeTimer = setTimeout(() => { this.controller.abort(new TimeoutError('the request took longer than its whole deadline')) }, ms)
  }

  /** The next frame must be read or written within `ms`; returns the signal to pass along. */
  frame (ms: number): AbortSignal {
    clearTimeout(this.frameTimer)
    this.frameTimer = setTimeout(() => { this.controller.abort(new TimeoutError('a frame took longer than its deadline')) }, ms)
    return this.controller.signal
  }

  done (): void {
    clearTimeout(this.frameTimer)
    clearTimeout(this.wholeTimer)
  }
}
