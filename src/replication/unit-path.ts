import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { decodeUnitNode, verifyBlock } from '../format/index.js'

/**
 * Is `path` a real way from a share root down to `unit`? `path[0]` must be
 * a root node, each next one an index node its predecessor lists, and the
 * last must list `unit`. At most `path.length` small manifest nodes are read
 * (each checked against its CID); any failure — a node that cannot be had,
 * is not what it should be, or does not list the next — answers false.
 *
 * This is how a storage node tells a segment of a share from junk pushed on
 * its own: junk has no root that lists it. (A root itself cannot be told
 * from junk — it is sealed — which is why pushes are also accounted per peer.)
 */
export async function leadsTo (unit: CID, path: CID[], read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>, options: AbortOptions = {}): Promise<boolean> {
  if (path.length === 0) return false
  try {
    for (let i = 0; i < path.length; i++) {
      const cid = path[i]!
      const bytes = await read(cid, options)
      verifyBlock(cid, bytes)
      const node = decodeUnitNode(bytes)
      if (node.kind !== (i === 0 ? 'root' : 'index') || node.height === 0) return false
      const next = path[i + 1] ?? unit
      if (!node.children.some(child => child.equals(next))) return false
    }
    return true
  } catch (err) {
    if (options.signal?.aborted === true) throw err
    return false
  }
}
