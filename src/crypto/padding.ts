/**
 * Padmé padding (Nikitin et al., "Reducing Metadata Leakage from Encrypted
 * Files and Communication with PURBs", PETS 2019): rounds a length up so that
 * only O(log log L) bits of it leak, with at most ~12% overhead.
 */
export function padme (length: number): number {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid length ${length}`)
  if (length < 2) return length
  const e = Math.floor(Math.log2(length))
  const s = Math.floor(Math.log2(e)) + 1
  const lastBits = e - s
  const mask = 2 ** lastBits - 1
  // (length + mask) & ~mask without 32-bit bitwise operators (lengths exceed 2^32).
  return Math.ceil(length / (mask + 1)) * (mask + 1)
}

/**
 * Smallest padded size: every share below it looks the same size, so a 1-byte
 * and a 900-byte file cannot be told apart.
 */
export const MIN_PADDED_SIZE = 1024

export type PaddingMode = 'padme' | 'none'

/** Plaintext length after padding in the given mode. */
export function paddedLength (length: number, mode: PaddingMode): number {
  if (mode === 'none') return length
  return Math.max(padme(length), MIN_PADDED_SIZE)
}
