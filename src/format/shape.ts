import { SEGMENT_BLOCKS, TREE_FANOUT, MAX_TREE_HEIGHT } from './limits.js'
import { ShareStructureError } from '../errors.js'

/**
 * The canonical tree shape, a pure function of the block count: every node is
 * full except the last at each level. Decoders check a tree against it, so a
 * manifest cannot hide, repeat or reorder a subtree.
 */

/** Fanouts of a tree. Format v1 fixes them; tests use small ones to reach deep trees. */
export interface TreeShape {
  /** Content blocks per segment. */
  segmentBlocks: number
  /** Children per index node (and per unfolded root). */
  fanout: number
}

export const V1_SHAPE: TreeShape = { segmentBlocks: SEGMENT_BLOCKS, fanout: TREE_FANOUT }

/** Content blocks for a padded plaintext length: at least one (the final block). */
export function blockCountFor (paddedLength: number, blockSize: number): number {
  return Math.max(1, Math.ceil(paddedLength / blockSize))
}

/** Blocks covered by one node of the given height (0 = a segment). */
export function blocksPerNode (height: number, shape: TreeShape = V1_SHAPE): number {
  return shape.segmentBlocks * shape.fanout ** height
}

/** Root height: 0 when the blocks fit one segment (folded into the root). */
export function treeHeightFor (blockCount: number, shape: TreeShape = V1_SHAPE): number {
  if (blockCount <= shape.segmentBlocks) return 0
  let height = 1
  while (blocksPerNode(height - 1, shape) * shape.fanout < blockCount) {
    height++
    if (height > MAX_TREE_HEIGHT) throw new ShareStructureError(`${blockCount} blocks exceed the largest tree Veil supports`)
  }
  return height
}

/**
 * Children a node of the given height must list when it covers
 * `coveredBlocks` blocks: the blocks themselves at height 0 (a segment, or a
 * root folded with its only segment), else subtrees of height - 1.
 */
export function childCount (coveredBlocks: number, height: number, shape: TreeShape = V1_SHAPE): number {
  if (height === 0) return coveredBlocks
  return Math.ceil(coveredBlocks / blocksPerNode(height - 1, shape))
}
