import type { CID } from 'multiformats/cid'

/** Records looked up for the page, kept briefly (a link opened by many at once costs one look-up a while). */
export class NameRecordCache {
  private readonly entries = new Map<string, { record: Uint8Array, at: number }>()

  constructor (private readonly ttlMs = 30_000, private readonly max = 256) {}

  get (name: CID): Uint8Array | undefined {
    const key = name.toString()
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (performance.now() - entry.at > this.ttlMs) {
      this.entries.delete(key)
      return undefined
    }
    return entry.record
  }

  set (name: CID, record: Uint8Array): void {
    const key = name.toString()
    this.entries.delete(key)
    this.entries.set(key, { record, at: performance.now() })
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!)
  }
}
