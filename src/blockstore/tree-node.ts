import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { decodeTreeNode, verifyBlock, type TreeNode } from '../format/index.js'
import type { BlockSource } from './interface.js'

/** Fetch, verify and decode one inner node of a share's tree. */
export async function loadTreeNode (source: BlockSource, cid: CID, height: number, options: AbortOptions = {}): Promise<TreeNode> {
  const bytes = await source.get(cid, { ...options, segment: cid })
  // Cheap next to a block's decryption; guards against a source that forgot to verify.
  verifyBlock(cid, bytes)
  return decodeTreeNode(bytes, height)
}
