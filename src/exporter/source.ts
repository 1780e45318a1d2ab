import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { decodeTreeNode, type TreeNode } from '../format/nodes.js'
import { verifyBlock } from '../format/cid.js'

export interface BlockGetOptions extends AbortOptions {
  /**
   * The manifest node that lists the wanted block (its segment, or the root
   * when folded; a node's own CID for a manifest node). A network source
   * finds holders by this node's discovery key.
   */
  segment?: CID
}

/**
 * Where an export reads blocks from: the local block store, or the network
 * fetch engine. `get` resolves only with bytes that match the CID.
 */
export interface BlockSource {
  get(cid: CID, options?: BlockGetOptions): Promise<Uint8Array>
}

/** Fetch, verify and decode one inner node of a share's tree. */
export async function loadTreeNode (source: BlockSource, cid: CID, height: number, options: AbortOptions = {}): Promise<TreeNode> {
  const bytes = await source.get(cid, { ...options, segment: cid })
  // Cheap next to a block's decryption; guards against a source that forgot to verify.
  verifyBlock(cid, bytes)
  return decodeTreeNode(bytes, height)
}
