import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { sha256 } from './hash.js'

import { CONVERGENT_LABEL, FILE_KEY_LENGTH, HKDF_SALT, INFO_BLOCK, INFO_COMMITMENT, INFO_MANIFEST, checkFileKeyLength, type Subkeys } from './labels.js'

// The labels are shared with the WebCrypto path (labels.ts, async.ts).
export { FILE_KEY_LENGTH, type Subkeys } from './labels.js'

/** A fresh random file key (the default: every share is unrelated to every other). */
export function generateFileKey (): Uint8Array {
  return new Uint8Array(randomBytes(FILE_KEY_LENGTH))
}

function hkdf (key: Uint8Array, info: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', key, HKDF_SALT, info, 32))
}

/** Expand K into its subkeys with HKDF-SHA256 (one label per use). */
export function deriveSubkeys (fileKey: Uint8Array): Subkeys {
  checkFileKeyLength(fileKey)
  return {
    blockKey: hkdf(fileKey, INFO_BLOCK),
    manifestKey: hkdf(fileKey, INFO_MANIFEST),
    commitment: hkdf(fileKey, INFO_COMMITMENT)
  }
}

/** Constant-time check of a manifest's key commitment against K's. */
export function commitmentMatches (expected: Uint8Array, fileKey: Uint8Array): boolean {
  const actual = deriveSubkeys(fileKey).commitment
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

/**
 * Opt-in convergent (deduplicating) key:
 * `K = HMAC-SHA256(secret, "veil/v1/conv" ‖ SHA-256(params) ‖ SHA-256(plaintext))`.
 *
 * The secret scopes deduplication (a user's or a swarm's convergence secret), so
 * an outsider who guesses a file cannot confirm it by computing its CID — the
 * confirmation-of-file attack that `K = H(plaintext)` alone allows. `params`
 * holds every encoding parameter (format version, block size, padding), so two
 * encodings of one file never share a key.
 */
export function convergentFileKey (secret: Uint8Array, params: Uint8Array, plaintextDigest: Uint8Array): Uint8Array {
  if (secret.length < 16) throw new RangeError('a convergence secret must be at least 16 bytes')
  if (plaintextDigest.length !== 32) throw new RangeError('plaintextDigest must be a SHA-256 digest')
  const mac = createHmac('sha256', secret)
  mac.update(CONVERGENT_LABEL)
  mac.update(sha256(params))
  mac.update(plaintextDigest)
  return new Uint8Array(mac.digest())
}
