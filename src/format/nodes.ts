import * as dagCbor from '@ipld/dag-cbor'
import { dagCborCid } from './cid.js'
import { FORMAT_VERSION } from './limits.js'
import type { EncodedNode } from './root.js'
import type { TreeNode } from './node-decode.js'

// Decoding is portable (node-decode.ts, shared with the gateway page).
export { decodeTreeNode, decodeUnitNode, type TreeNode, type UnitNode } from './node-decode.js'

export function encodeTreeNode (node: TreeNode): EncodedNode {
  const map = node.height === 0
    ? { v: FORMAT_VERSION, t: 'seg', c: node.children }
    : { v: FORMAT_VERSION, t: 'idx', h: node.height, c: node.children }
  const bytes = dagCbor.encode(map)
  return { cid: dagCborCid(bytes), bytes }
}
