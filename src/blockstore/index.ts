/**
 * The block store: where a node keeps the ciphertext blocks and manifest
 * nodes it holds. `openBlockStore` picks the store; code that needs the
 * level-only features (sublevels, `extraOps`) opens `LevelBlockStore` directly.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { BlockStore } from './interface.js'
import { LevelBlockStore } from './level.js'
import { MemoryBlockStore } from './memory.js'

export type { Block, BlockStore, BlockSource, BlockGetOptions, PutOptions, ReadOptions, StoreSize } from './interface.js'
export { loadTreeNode } from './tree-node.js'
export { BlockFiles } from './block-files.js'
export { DEFAULT_MAX_BLOCK_SIZE } from './block-checks.js'
export { MemoryBlockStore, type MemoryBlockStoreInit } from './memory.js'
export {
  LevelBlockStore,
  type LevelBlockStoreInit,
  type LevelPutOptions,
  type StoreBatchOperation,
  type StoreSublevel
} from './level.js'

export interface OpenBlockStoreOptions extends AbortOptions {
  /** Directory of a persistent (LevelDB) store, created if missing. Without it the store lives in memory. */
  path?: string
  /** Largest block accepted, in bytes. Default `DEFAULT_MAX_BLOCK_SIZE` (4 MiB + 64). */
  maxBlockSize?: number
}

/** Open a block store: on disk at `options.path`, or in memory when no path is given. */
export async function openBlockStore (options: OpenBlockStoreOptions = {}): Promise<BlockStore> {
  const { path, maxBlockSize, signal } = options
  if (path === undefined) {
    signal?.throwIfAborted()
    return new MemoryBlockStore({ maxBlockSize })
  }
  return await LevelBlockStore.open(path, { maxBlockSize, signal })
}
