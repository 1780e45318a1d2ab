import type { AbortOptions } from '@libp2p/interface'

/** Gives back the keys taken by `KeyLock.acquire`. Safe to call more than once. */
export type ReleaseKeys = () => void

/**
 * Serialises read-check-write work on the same keys within one process, so two
 * concurrent puts (or a put and a delete) of one block cannot both see it as
 * absent and both count it.
 *
 * `acquire` waits until none of the wanted keys is held, then takes all of them
 * in one synchronous step. Because a caller never holds some keys while waiting
 * for others, two callers can never wait on each other: no deadlock, whatever
 * order their keys come in. Work on different keys never waits.
 */
export class KeyLock {
  readonly #held = new Map<string, Promise<void>>()

  async acquire (keys: Iterable<string>, options: AbortOptions = {}): Promise<ReleaseKeys> {
    const wanted = [...new Set(keys)]
    for (;;) {
      options.signal?.throwIfAborted()
      const busy: Array<Promise<void>> = []
      for (const key of wanted) {
        const holder = this.#held.get(key)
        if (holder !== undefined) busy.push(holder)
      }
      if (busy.length === 0) break
      // Holders' promises never reject; after they settle, look again, since
      // another waiter may have taken a key first.
      await untilSettledOrAborted(Promise.all(busy), options.signal)
    }

    let release!: () => void
    const held = new Promise<void>(resolve => { release = resolve })
    for (const key of wanted) this.#held.set(key, held)

    let released = false
    return () => {
      if (released) return
      released = true
      for (const key of wanted) {
        if (this.#held.get(key) === held) this.#held.delete(key)
      }
      release()
    }
  }

  /** How many keys are held right now (for tests and diagnostics). */
  get size (): number {
    return this.#held.size
  }
}

/** Wait for `work`, but stop waiting (rejecting with the abort reason) as soon as `signal` aborts. */
async function untilSettledOrAborted (work: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) {
    await work
    return
  }
  signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    void work.then(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    })
  })
}
