import { InvalidParametersError } from '@libp2p/interface'

/**
 * The small record the level store keeps beside every block (sublevel `m`).
 * It lets the store count blocks and bytes at open without reading any block,
 * and gives later code (GC, leases) the time a block arrived.
 *
 * Layout, big-endian, version 1 (13 bytes):
 *
 *   offset 0   u8   format version (1)
 *   offset 1   u32  byte length of the block
 *   offset 5   u64  time the block was stored, milliseconds since the Unix epoch
 *
 * Later versions only ever append fields after these. A reader takes the fields
 * it knows from any version >= 1 and ignores the rest, so an older Veil can still
 * count the blocks a newer one wrote. A fixed binary layout (rather than
 * dag-cbor) keeps the record at 13 bytes and decoding allocation-free, which
 * matters because open decodes one record per block held.
 */

export const BLOCK_META_VERSION = 1

/** Byte length of a version-1 record, the prefix every later version shares. */
export const BLOCK_META_V1_LENGTH = 13

export interface BlockMeta {
  /** Byte length of the block. */
  byteLength: number
  /** When the block was stored, in milliseconds since the Unix epoch. */
  storedAt: number
}

const MAX_U32 = 0xffff_ffff

export function encodeBlockMeta (meta: BlockMeta): Uint8Array {
  if (!Number.isInteger(meta.byteLength) || meta.byteLength < 0 || meta.byteLength > MAX_U32) {
    throw new InvalidParametersError(`block byte length ${meta.byteLength} does not fit the meta record`)
  }
  if (!Number.isSafeInteger(meta.storedAt) || meta.storedAt < 0) {
    throw new InvalidParametersError(`stored-at time ${meta.storedAt} is not a whole, non-negative number of milliseconds`)
  }
  const bytes = new Uint8Array(BLOCK_META_V1_LENGTH)
  const view = new DataView(bytes.buffer)
  view.setUint8(0, BLOCK_META_VERSION)
  view.setUint32(1, meta.byteLength)
  view.setBigUint64(5, BigInt(meta.storedAt))
  return bytes
}

/**
 * Decode a meta record, or return `undefined` when it is not one (too short, or
 * version 0). The caller decides what an unreadable record means; it names the
 * block, this function does not know it.
 */
export function decodeBlockMeta (bytes: Uint8Array): BlockMeta | undefined {
  if (bytes.byteLength < BLOCK_META_V1_LENGTH) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint8(0) < 1) return undefined
  const storedAt = view.getBigUint64(5)
  if (storedAt > BigInt(Number.MAX_SAFE_INTEGER)) return undefined
  return { byteLength: view.getUint32(1), storedAt: Number(storedAt) }
}
