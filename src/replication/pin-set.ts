import { CID } from 'multiformats/cid'
import type { LevelBlockStore, StoreBatchOperation, StoreSublevel } from '../blockstore/index.js'

/**
 * The shares pinned on this node (any node with a repo; on a storage node
 * its units also count the pin, see UnitIndex):
 *
 *   pins!<root cid>  1: pinned by its own link   2: an entry of a pinned folder
 *
 * Pinned shares are never collected: not by a storage node's collection,
 * not by `veil gc`.
 */
export class PinSet {
  private readonly pins: StoreSublevel

  constructor (private readonly store: LevelBlockStore) {
    this.pins = store.sublevel('pins')
  }

  async has (root: CID): Promise<boolean> {
    return (await this.pins.get(root.bytes)) !== undefined
  }

  /** `given`: pinned by its own link (listed by `veil pins`), or as an entry of a pinned folder. */
  op (root: CID, pinned: boolean, given = true): StoreBatchOperation {
    return pinned
      ? { type: 'put', sublevel: this.pins, key: root.bytes, value: Uint8Array.of(given ? 1 : 2) }
      : { type: 'del', sublevel: this.pins, key: root.bytes }
  }

  async set (root: CID, pinned: boolean, given = true): Promise<void> {
    await this.store.putMany([], { extraOps: [this.op(root, pinned, given)], sync: true })
  }

  async * all (): AsyncGenerator<{ root: CID, given: boolean }> {
    for await (const [key, value] of this.pins.iterator()) {
      let root: CID
      try {
        root = CID.decode(key)
      } catch {
        continue
      }
      yield { root, given: value[0] !== 2 }
    }
  }
}
