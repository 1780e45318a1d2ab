import { setMaxListeners } from 'node:events'

/**
 * One signal that aborts when any of `signals` does (undefined ones are
 * skipped). Block pipelines hang dozens of concurrent requests off one
 * signal, so the result is marked as expecting many listeners — without
 * that, Node warns of a leak at the 11th. The result is always a signal of
 * its own: the callers' signals are never marked (a single signal used to
 * be returned as it was, which silenced the leak warning on the caller's
 * signal — a storage node's shutdown signal, say — for good).
 */
export function anySignal (...signals: Array<AbortSignal | undefined>): AbortSignal {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined)
  const combined = AbortSignal.any(present)
  setMaxListeners(Infinity, combined)
  return combined
}

/**
 * A deadline of `timeoutMs` that also aborts with any of `signals` (the
 * caller's, a shutdown controller's; undefined ones are skipped). Use it
 * instead of `signal ?? AbortSignal.timeout(…)`, which drops the deadline
 * whenever a caller passes a signal.
 */
export function deadline (timeoutMs: number, ...signals: Array<AbortSignal | undefined>): AbortSignal {
  return anySignal(...signals, AbortSignal.timeout(timeoutMs))
}
