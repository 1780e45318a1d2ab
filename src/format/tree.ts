import type { CID } from 'multiformats/cid'
import { ShareStructureError } from '../errors.js'
import { encodeTreeNode, type TreeNode } from './nodes.js'
import type { EncodedNode } from './root.js'
import type { NodeRef } from './walk.js'
import { treeHeightFor, V1_SHAPE, type TreeShape } from './shape.js'

// Walking a tree is portable (walk.ts, shared with the gateway page).
export { walkBlocks, walkTreeNodes, type BlockRef, type NodeRef, type LoadTreeNode, type WalkOptions } from './walk.js'

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

