/**
 * Verified blocks fetched from the swarm, bounded in bytes, least recently
 * used first out. Only bytes already checked against their CID go in.
 */
export class BlockCache {
  private readonly blocks = new Map<string, Uint8Array>()
  private size = 0

  constructor (readonly maxBytes: number) {}

  get bytes (): number { return this.size }
  get count (): number { return this.blocks.size }

  get (key: string): Uint8Array | undefined {
    const bytes = this.blocks.get(key)
    if (bytes !== undefined) {
      this.blocks.delete(key)
      this.blocks.set(key, bytes)
    }
    return bytes
  }

  set (key: string, bytes: Uint8Array): void {
    if (bytes.length > this.maxBytes) return
    const old = this.blocks.get(key)
    if (old !== undefined) {
      this.size -= old.length
      this.blocks.delete(key)
    }
    this.blocks.set(key, bytes)
    this.size += bytes.length
    for (const [oldest, value] of this.blocks) {
      if (this.size <= this.maxBytes) break
      this.blocks.delete(oldest)
      this.size -= value.length
    }
  }
}
