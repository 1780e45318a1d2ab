/**
 * Keep Node's event loop alive while `work` is pending.
 *
 * `AbortSignal.timeout()` timers do not keep the loop alive, and libp2p
 * bounds many of its waits with them (closing each connection on stop waits
 * up to 500 ms on one). When such a deadline is the only thing left — the
 * sockets are paused or already closed — Node runs out of work and exits
 * with the wait unsettled: the CLI then reports "the command stopped with
 * work unfinished". Holding one ref'd timer for as long as the work is
 * pending lets the deadline fire and the work finish. The work must be
 * bounded by deadlines of its own: this only stops the process leaving early.
 */
export async function keepAlive<T> (work: Promise<T> | T): Promise<T> {
  // A timer that never fires on its own schedule; the interval only needs to exist.
  const timer = setInterval(() => {}, 60_000)
  try {
    return await work
  } finally {
    clearInterval(timer)
  }
}
