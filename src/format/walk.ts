import type { CID } from 'multiformats/cid'
import { ShareStructureError } from '../errors.js'
import type { TreeNode } from './node-decode.js'
import type { RootNode } from './root-open.js'
import { blocksPerNode, childCount, V1_SHAPE, type TreeShape } from './shape.js'

/** What cancellation this module takes (libp2p's AbortOptions, without importing libp2p). */
export interface AbortOptions { signal?: AbortSignal }

/*
 * Walking a share's tree: portable (runs unchanged in the gateway page).
 */

/** Loads and decodes a verified inner node of the expected height. */
export type LoadTreeNode = (cid: CID, height: number, options?: AbortOptions) => Promise<TreeNode>

export interface BlockRef {
  /** Position of the block in the share (its STREAM counter). */
  index: number
  cid: CID
  /** The final block, sealed with the STREAM last-block flag. */
  last: boolean
  /** The manifest node listing this block (a segment, or the root when folded). */
  segment: CID
}

/**
 * Yield the content blocks with index in [first, end), in order, loading only
 * the inner nodes that cover that range. Every node is checked against the
 * canonical shape for the share's block count.
 */
export interface WalkOptions extends AbortOptions {
  /** Tree fanouts; format v1's unless a test says otherwise. */
  shape?: TreeShape
}

export async function * walkBlocks (rootCid: CID, root: RootNode, loadNode: LoadTreeNode, first: number, end: number, options: WalkOptions = {}): AsyncGenerator<BlockRef> {
  const shape = options.shape ?? V1_SHAPE
  const total = root.blockCount
  end = Math.min(end, total)
  if (first >= end) return

  async function * visit (cid: CID, node: TreeNode, start: number, covered: number): AsyncGenerator<BlockRef> {
    if (node.children.length !== childCount(covered, node.height, shape)) {
      throw new ShareStructureError(`a manifest node covering ${covered} blocks lists ${node.children.length} children: the share was altered`)
    }
    if (node.height === 0) {
      const from = Math.max(first, start)
      const to = Math.min(end, start + covered)
      for (let index = from; index < to; index++) {
        yield { index, cid: node.children[index - start]!, last: index === total - 1, segment: cid }
      }
      return
    }
    const span = blocksPerNode(node.height - 1, shape)
    for (let i = 0; i < node.children.length; i++) {
      const childStart = start + i * span
      const childCovered = Math.min(span, start + covered - childStart)
      if (childStart + childCovered <= first || childStart >= end) continue
      options.signal?.throwIfAborted()
      const childCid = node.children[i]!
      const child = await loadNode(childCid, node.height - 1, options)
      yield * visit(childCid, child, childStart, childCovered)
    }
  }

  yield * visit(rootCid, { height: root.height, children: root.children }, 0, total)
}

export interface NodeRef {
  cid: CID
  height: number
  /** Content block CIDs when height is 0, else child node CIDs. */
  children: CID[]
  /** Index of the first content block this node covers. */
  firstBlock: number
}

/**
 * Yield every inner node below the root (segments and index nodes), depth
 * first in block order. With the root itself these are a share's placement
 * and discovery units; no key is needed.
 */
export async function * walkTreeNodes (root: RootNode, loadNode: LoadTreeNode, options: WalkOptions = {}): AsyncGenerator<NodeRef> {
  const shape = options.shape ?? V1_SHAPE
  async function * visit (node: TreeNode, start: number, covered: number): AsyncGenerator<NodeRef> {
    if (node.height === 0) return
    const span = blocksPerNode(node.height - 1, shape)
    for (let i = 0; i < node.children.length; i++) {
      const childStart = start + i * span
      const childCovered = Math.min(span, start + covered - childStart)
      options.signal?.throwIfAborted()
      const cid = node.children[i]!
      const child = await loadNode(cid, node.height - 1, options)
      if (child.children.length !== childCount(childCovered, child.height, shape)) {
        throw new ShareStructureError(`a manifest node covering ${childCovered} blocks lists ${child.children.length} children: the share was altered`)
      }
      yield { cid, height: child.height, children: child.children, firstBlock: childStart }
      yield * visit(child, childStart, childCovered)
    }
  }
  yield * visit({ height: root.height, children: root.children }, 0, root.blockCount)
}

/**
 * Every block but the last is full; the last holds the rest of the padded
 * size (checked on each decrypted block, in Node and in the gateway page).
 */
export function checkBlockLength (index: number, length: number, blockSize: number, size: number, blockCount: number): void {
  if (index < blockCount - 1 ? length !== blockSize : length > blockSize || index * blockSize + length < size) {
    throw new ShareStructureError(`block ${index} holds ${length} bytes, which does not fit the share's size: the share was altered`)
  }
}
