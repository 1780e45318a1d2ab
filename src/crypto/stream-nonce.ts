/*
 * The STREAM nonce of format v1, as pure code: it runs unchanged in Node and
 * in the browser page (docs/format.md, "Content blocks").
 */

/** AES-256-GCM tag length appended to every sealed block. */
export const TAG_LENGTH = 16
export const NONCE_LENGTH = 12

/** Largest block index the 11-byte STREAM counter can hold within JS safe integers. */
const MAX_INDEX = Number.MAX_SAFE_INTEGER

/**
 * The STREAM nonce (as in age): an 11-byte big-endian block index followed by
 * one byte that is 0x01 for the last block and 0x00 otherwise. Opening block i
 * with any other position or flag fails authentication, so reordering,
 * dropping, duplicating and truncating blocks are all detected.
 */
export function streamNonce (index: number, last: boolean): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_INDEX) {
    throw new RangeError(`block index ${index} is out of range`)
  }
  const nonce = new Uint8Array(NONCE_LENGTH)
  let rest = index
  for (let i = 10; i >= 0 && rest > 0; i--) {
    nonce[i] = rest % 256
    rest = Math.floor(rest / 256)
  }
  nonce[11] = last ? 1 : 0
  return nonce
}
