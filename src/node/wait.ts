import { TimeoutError } from '@libp2p/interface'

/**
 * Resolve once `ready()` is true, re-checking whenever `target` emits one of
 * `events` — an event-driven wait, never a polling sleep. Rejects with
 * TimeoutError after `timeoutMs`, or when `signal` aborts.
 */
export async function waitFor (target: EventTarget, events: string[], ready: () => boolean, timeoutMs: number, what: string, signal?: AbortSignal): Promise<void> {
  if (ready()) return
  await new Promise<void>((resolve, reject) => {
    const check = (): void => { if (ready()) finish() }
    const timer = setTimeout(() => { finish(new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`)) }, timeoutMs)
    const onAbort = (): void => { finish(signal?.reason instanceof Error ? signal.reason : new Error('aborted')) }
    const finish = (err?: Error): void => {
      clearTimeout(timer)
      for (const event of events) target.removeEventListener(event, check)
      signal?.removeEventListener('abort', onAbort)
      if (err === undefined) resolve()
      else reject(err)
    }
    for (const event of events) target.addEventListener(event, check)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
