import type { CID } from 'multiformats/cid'
import { digestMatches, isSupportedCid, verifyBlockAsync } from '../format/index.js'
import { sha256Async } from '../crypto/index.js'
import { BlockCorruptError, BlockNotFoundError, BlockTooLargeError, UnsupportedHashError } from '../errors.js'
import { InvalidParametersError } from '@libp2p/interface'
import type { Block } from './interface.js'

/**
 * Largest block a store accepts by default: the largest allowed plaintext block
 * (4 MiB) plus room for the AES-GCM tag and any small framing a later format
 * version may add.
 */
export const DEFAULT_MAX_BLOCK_SIZE = 4 * 1024 * 1024 + 64

/** Resolve the `maxBlockSize` option once, rejecting nonsense early. */
export function resolveMaxBlockSize (maxBlockSize: number | undefined): number {
  if (maxBlockSize === undefined) return DEFAULT_MAX_BLOCK_SIZE
  if (!Number.isSafeInteger(maxBlockSize) || maxBlockSize < 0) {
    throw new InvalidParametersError(`maxBlockSize must be a whole number of bytes, got ${String(maxBlockSize)}`)
  }
  return maxBlockSize
}

/**
 * Check a block on its way into a store and return the copy to store.
 *
 * The size is checked before hashing so an oversize block costs nothing. The
 * bytes are copied *before* they are hashed: what is verified is exactly what
 * is written, even if the caller reuses its buffer while the write is pending.
 * (`new Uint8Array(x)` always copies; `Buffer#slice` would not.) Hashing runs
 * on the thread pool, so a store taking blocks from the network does not
 * stall the event loop.
 */
export async function verifiedCopy (block: Block, maxBlockSize: number): Promise<Block> {
  checkBlockSize(block, maxBlockSize)
  const bytes = new Uint8Array(block.bytes)
  await verifyBlockAsync(block.cid, bytes)
  return { cid: block.cid, bytes }
}

/** Verify a batch: every size first (cheap), then the hashes in parallel. */
export async function verifiedCopies (blocks: Iterable<Block>, maxBlockSize: number): Promise<Block[]> {
  const list = [...blocks]
  for (const block of list) checkBlockSize(block, maxBlockSize)
  return await Promise.all(list.map(async block => await verifiedCopy(block, maxBlockSize)))
}

function checkBlockSize (block: Block, maxBlockSize: number): void {
  if (block.bytes.byteLength > maxBlockSize) {
    throw new BlockTooLargeError(`block ${block.cid.toString()} is ${block.bytes.byteLength} bytes, more than the ${maxBlockSize}-byte limit of this store; Veil blocks are at most 4 MiB plus their tag, so this is not a Veil block`)
  }
}

/** A store can only ever hold CIDs it can verify; asking for another is a caller error. */
export function assertSupportedCid (cid: CID): void {
  if (!isSupportedCid(cid)) {
    throw new UnsupportedHashError(`block ${cid.toString()} does not use a CIDv1 with sha2-256 over raw or dag-cbor; no Veil store can hold it`)
  }
}

/** Re-verify bytes read back from storage: corruption is reported, never hidden or repaired here. */
export async function assertStoredBlockIntact (cid: CID, bytes: Uint8Array): Promise<void> {
  if (!digestMatches(cid, await sha256Async(bytes))) {
    throw new BlockCorruptError(`the stored copy of block ${cid.toString()} is corrupt (its bytes no longer match its CID): delete it from this store and fetch it again from a peer`)
  }
}

export function blockNotFound (cid: CID): BlockNotFoundError {
  return new BlockNotFoundError(`block ${cid.toString()} is not in this store: fetch it from a peer that holds it`)
}
