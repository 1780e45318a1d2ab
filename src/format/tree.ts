import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { ShareStructureError } from '../errors.js'
import { encodeTreeNode, type TreeNode } from './nodes.js'
import type { EncodedNode, RootNode } from './root.js'
import { blocksPerNode, childCount, treeHeightFor, V1_SHAPE, type TreeShape } from './shape.js'

/** Called for each inner node as soon as it is complete, so it can be stored. */
export type PutTreeNode = (node: EncodedNode, ref: NodeRef) => Promise<void>

/**
 * Builds the canonical tree while blocks stream in, holding only the open
 * node of each level (≤ 1024 CIDs each) — never the whole block list.
 */
export class TreeBuilder {
  readonly height: number
  private readonly levels: CID[][]
  /** Index of the first content block under each level's open node. */
  private readonly firstBlocks: number[]
  private added = 0

  constructor (readonly blockCount: number, private readonly putNode: PutTreeNode, private readonly shape: TreeShape = V1_SHAPE) {
    this.height = treeHeightFor(blockCount, shape)
    this.levels = Array.from({ length: this.height + 1 }, () => [])
    this.firstBlocks = new Array<number>(this.height + 1).fill(0)
  }

  /** Add the next content block's CID (in order). */
  async add (cid: CID): Promise<void> {
    if (this.added >= this.blockCount) throw new ShareStructureError(`more than the ${this.blockCount} announced blocks were added`)
    this.added++
    await this.push(0, cid, this.added - 1)
  }

  private async push (level: number, cid: CID, firstBlock: number): Promise<void> {
    const list = this.levels[level]!
    if (list.length === 0) this.firstBlocks[level] = firstBlock
    list.push(cid)
    if (level < this.height && list.length === (level === 0 ? this.shape.segmentBlocks : this.shape.fanout)) {
      await this.flush(level)
    }
  }

  private async flush (level: number): Promise<void> {
    const children = this.levels[level]!
    const firstBlock = this.firstBlocks[level]!
    this.levels[level] = []
    const node = encodeTreeNode({ height: level, children })
    await this.putNode(node, { cid: node.cid, height: level, children, firstBlock })
    await this.push(level + 1, node.cid, firstBlock)
  }

  /** Close the partial nodes bottom-up; returns what the root lists. */
  async finish (): Promise<TreeNode> {
    if (this.added !== this.blockCount) throw new ShareStructureError(`expected ${this.blockCount} blocks, got ${this.added}`)
    for (let level = 0; level < this.height; level++) {
      if (this.levels[level]!.length > 0) await this.flush(level)
    }
    return { height: this.height, children: this.levels[this.height]! }
  }
}

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
