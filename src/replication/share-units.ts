import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { decodeUnitNode } from '../format/nodes.js'
import { verifyBlock } from '../format/cid.js'

/**
 * Every unit of one share — its root, then the index and segment nodes
 * below it — from the public tree (no key needed). `read` returns a unit
 * node's bytes (a local store, the swarm); each is checked against its CID.
 */
export async function * shareUnits (root: CID, read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>, options: AbortOptions = {}): AsyncGenerator<CID> {
  const pending = [root]
  while (pending.length > 0) {
    options.signal?.throwIfAborted()
    const unit = pending.shift()!
    yield unit
    const bytes = await read(unit, options)
    verifyBlock(unit, bytes)
    const node = decodeUnitNode(bytes)
    if (node.height > 0) pending.push(...node.children)
  }
}
