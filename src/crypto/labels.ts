/*
 * Format v1's key schedule constants and pure helpers, shared by the Node
 * fast path (keys.ts, node:crypto) and the WebCrypto path (async.ts) that
 * also runs in the browser page: one definition of every label.
 */

/** Length of a file key K, the secret carried in a link's fragment. */
export const FILE_KEY_LENGTH = 32

const utf8 = new TextEncoder()
export const HKDF_SALT = utf8.encode('veil/v1/hkdf')
export const INFO_BLOCK = utf8.encode('veil/v1/block-key')
export const INFO_MANIFEST = utf8.encode('veil/v1/manifest-key')
export const INFO_COMMITMENT = utf8.encode('veil/v1/key-commitment')
export const CONVERGENT_LABEL = utf8.encode('veil/v1/conv')
export const SIV_LABEL = utf8.encode('veil/v1/siv')

/** The keys one file key K expands to. */
export interface Subkeys {
  /** AES-256-GCM key of the content blocks. */
  blockKey: Uint8Array
  /** AES-256-GCM key of the sealed part of the root manifest. */
  manifestKey: Uint8Array
  /**
   * Stored in the clear in the root manifest. AES-GCM is not key-committing,
   * so a fetcher compares this with its own derivation before decrypting
   * anything: a wrong key fails here, not with a confusing tag error later.
   */
  commitment: Uint8Array
}

export function checkFileKeyLength (fileKey: Uint8Array): void {
  if (fileKey.length !== FILE_KEY_LENGTH) {
    throw new RangeError(`a file key is ${FILE_KEY_LENGTH} bytes, got ${fileKey.length}`)
  }
}

/** Equality of two byte strings in time that depends only on their length. */
export function constantTimeEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}
