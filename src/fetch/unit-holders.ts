import type { PeerId, PeerInfo } from '@libp2p/interface'

/**
 * The holders of one unit (root or segment) found so far, filled by a DHT
 * lookup that keeps running in the background while the first holders are
 * already serving blocks.
 */
export class UnitHolders {
  readonly peers: PeerId[] = []
  private readonly known = new Set<string>()
  private waiters: Array<() => void> = []
  private running = false
  /** Lookups started for this unit (a second one runs when every holder failed). */
  lookups = 0

  /**
   * `lookup` is given the holders already known, to leave out (a later
   * look-up must find new ones: the first may have stopped at holders that
   * since went away). `onChange` runs whenever a holder is added or a
   * look-up ends.
   */
  constructor (private readonly lookup: (known: ReadonlySet<string>) => AsyncIterable<PeerInfo>, private readonly onChange: () => void = () => {}) {}

  get searching (): boolean {
    return this.running
  }

  /** Start a lookup unless one is running. */
  search (): void {
    if (this.running) return
    this.running = true
    this.lookups++
    void (async () => {
      try {
        for await (const info of this.lookup(this.known)) this.add(info.id)
      } catch {
        // A failed lookup just ends the search; the fetch reports what it could not find.
      } finally {
        this.running = false
        this.wake()
      }
    })()
  }

  add (peer: PeerId): void {
    const key = peer.toString()
    if (this.known.has(key)) return
    this.known.add(key)
    this.peers.push(peer)
    this.wake()
  }

  /** Resolves when a holder is added or the lookup ends (or the signal fires). */
  async changed (signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { reject(signal?.reason) }
      this.waiters.push(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      })
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  private wake (): void {
    this.onChange()
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }
}
