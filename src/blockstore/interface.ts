import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** One block, addressed by the SHA-256 of its bytes. */
export interface Block {
  cid: CID
  bytes: Uint8Array
}

export interface PutOptions extends AbortOptions {
  /**
   * Durable write: the call resolves only after the block is on disk (fsync).
   * Storage nodes acknowledge pushes only after a durable write. Default false.
   */
  sync?: boolean
}

export interface StoreSize {
  /** Number of blocks held. */
  blocks: number
  /** Sum of the byte lengths of every block held. */
  bytes: number
}

/** How a block is read back. */
export interface ReadOptions extends AbortOptions {
  /**
   * Re-verify the bytes against the CID (default true). Only a caller whose
   * reader verifies every byte itself may pass false: the block server,
   * whose peers check each block they receive (a storage node's scrub still
   * finds what rots on its disk).
   */
  verify?: boolean
}

/**
 * A content-addressed store of blocks. Every implementation verifies the
 * SHA-256 multihash of a block against its CID before writing it
 * (`BlockHashMismatchError`) and again on every read (`BlockCorruptError`)
 * unless the reader says it verifies them itself, so a caller never sees
 * bytes that do not match the CID it asked for.
 */
export interface BlockStore {
  /** Verify and store one block. Storing a block twice is a no-op. */
  put(block: Block, options?: PutOptions): Promise<void>

  /**
   * Verify and store many blocks in one batch: either every block is written
   * or none is (a bad block rejects the whole batch before anything is written).
   */
  putMany(blocks: Iterable<Block>, options?: PutOptions): Promise<void>

  /** Read and re-verify a block (see ReadOptions.verify); `BlockNotFoundError` when absent. */
  get(cid: CID, options?: ReadOptions): Promise<Uint8Array>

  has(cid: CID, options?: AbortOptions): Promise<boolean>

  /** Remove a block; removing an absent block is a no-op. */
  delete(cid: CID, options?: AbortOptions): Promise<void>

  /** Every CID held, in no particular order. */
  cids(options?: AbortOptions): AsyncIterable<CID>

  /** How many blocks and bytes the store holds (kept up to date, not scanned). */
  size(options?: AbortOptions): Promise<StoreSize>

  close(): Promise<void>
}

export interface BlockGetOptions extends AbortOptions {
  /**
   * The manifest node that lists the wanted block (its segment, or the root
   * when folded; a node's own CID for a manifest node). A network source
   * finds holders by this node's discovery key.
   */
  segment?: CID
}

/**
 * Where blocks are read from: the local block store, or the network fetch
 * engine. `get` resolves only with bytes that match the CID.
 */
export interface BlockSource {
  get(cid: CID, options?: BlockGetOptions): Promise<Uint8Array>
}
