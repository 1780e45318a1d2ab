import type { CID } from 'multiformats/cid'
import { MemoryBlockStore } from '../../src/blockstore/index.js'

/**
 * A store that, once told to lie, hands out every raw block with one bit
 * flipped and without checking it — what a faulty or hostile holder serves.
 */
export class LyingStore extends MemoryBlockStore {
  lying = false
  /** Raw blocks handed out while lying. */
  lies = 0

  override async get (cid: CID, options?: { signal?: AbortSignal }): Promise<Uint8Array> {
    const bytes = await super.get(cid, options)
    if (!this.lying || cid.code !== 0x55) return bytes
    this.lies++
    const bad = bytes.slice()
    bad[bad.length >> 1]! ^= 0x10
    return bad
  }
}
