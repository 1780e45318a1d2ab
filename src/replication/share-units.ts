import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { decodeUnitNode, verifyBlock } from '../format/index.js'

/** A unit of a share, and its path: the root, then each node down to the one that lists it (empty for the root). */
export interface UnitInTree {
  unit: CID
  path: CID[]
}

/**
 * Every unit of one share — its root, then the index and segment nodes
 * below it, each with its path from the root — from the public tree (no key
 * needed). `read` returns a unit node's bytes (a local store, the swarm);
 * each is checked against its CID.
 */
export async function * shareUnits (root: CID, read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>, options: AbortOptions = {}): AsyncGenerator<UnitInTree> {
  const pending: UnitInTree[] = [{ unit: root, path: [] }]
  while (pending.length > 0) {
    options.signal?.throwIfAborted()
    const next = pending.shift()!
    yield next
    const bytes = await read(next.unit, options)
    verifyBlock(next.unit, bytes)
    const node = decodeUnitNode(bytes)
    if (node.height > 0) for (const child of node.children) pending.push({ unit: child, path: [...next.path, next.unit] })
  }
}
