import { streamNonce, TAG_LENGTH } from './stream-nonce.js'
import { checkFileKeyLength, constantTimeEqual, HKDF_SALT, INFO_BLOCK, INFO_COMMITMENT, INFO_MANIFEST, type Subkeys } from './labels.js'

/**
 * The format's crypto through WebCrypto (`globalThis.crypto.subtle`), which
 * Node 20 and every browser have: this file runs unchanged in both, and the
 * gateway page decrypts with it (docs/format.md).
 *
 * In Node, WebCrypto's AES-GCM and SHA-256 run on libuv's thread pool, so
 * awaiting them leaves the event loop free (for Noise decryption when
 * fetching, for file reads and writes when sharing) and several blocks
 * proceed on both cores at once. Measured here, 1 MiB blocks: SHA-256 1497
 * MB/s inline vs 1494 MB/s with 4 in flight using ~0.4 ms of main thread per
 * MiB; AES-256-GCM 1108–1561 MB/s. Same bytes as the node:crypto functions in
 * aead.ts and keys.ts (checked by the tests).
 */

const subtle = (): SubtleCrypto => globalThis.crypto.subtle

/** WebCrypto's typings (the DOM's) take only views of plain ArrayBuffers; Veil never passes shared memory. */
const view = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>

type SubtleCrypto = typeof globalThis.crypto.subtle
/** WebCrypto's key object (spelled so that it type-checks with Node's and with the DOM's typings). */
export type CryptoKey = Awaited<ReturnType<SubtleCrypto['importKey']>>

/** An AES-256-GCM key object for the async functions (import once per share). */
export async function importAesKey (raw: Uint8Array): Promise<CryptoKey> {
  return await subtle().importKey('raw', view(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
}

export async function sealBlockAsync (key: CryptoKey, index: number, last: boolean, plaintext: Uint8Array): Promise<Uint8Array> {
  const sealed = await subtle().encrypt({ name: 'AES-GCM', iv: view(streamNonce(index, last)), tagLength: TAG_LENGTH * 8 }, key, view(plaintext))
  return new Uint8Array(sealed)
}

/** The plaintext, or undefined when authentication fails. */
export async function openBlockAsync (key: CryptoKey, index: number, last: boolean, sealed: Uint8Array): Promise<Uint8Array | undefined> {
  return await openAsync(key, streamNonce(index, last), sealed)
}

/** AES-256-GCM open with an explicit nonce and optional associated data; undefined when the tag fails. */
export async function openAsync (key: CryptoKey, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Promise<Uint8Array | undefined> {
  if (sealed.length < TAG_LENGTH) return undefined
  try {
    const params = aad === undefined
      ? { name: 'AES-GCM', iv: view(nonce), tagLength: TAG_LENGTH * 8 }
      : { name: 'AES-GCM', iv: view(nonce), additionalData: view(aad), tagLength: TAG_LENGTH * 8 }
    return new Uint8Array(await subtle().decrypt(params, key, view(sealed)))
  } catch {
    return undefined
  }
}

/** AES-256-GCM seal with an explicit nonce and optional associated data: ciphertext ‖ tag. */
export async function sealAsync (key: CryptoKey, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
  const params = aad === undefined
    ? { name: 'AES-GCM', iv: view(nonce), tagLength: TAG_LENGTH * 8 }
    : { name: 'AES-GCM', iv: view(nonce), additionalData: view(aad), tagLength: TAG_LENGTH * 8 }
  return new Uint8Array(await subtle().encrypt(params, key, view(plaintext)))
}

/** HKDF-SHA256(secret, salt "veil/v1/hkdf", info) → 32 bytes: the format's key schedule for any secret. */
export async function deriveKeyAsync (secret: Uint8Array, info: Uint8Array): Promise<Uint8Array> {
  const ikm = await subtle().importKey('raw', view(secret), 'HKDF', false, ['deriveBits'])
  return await hkdfAsync(ikm, info)
}

/**
 * An Ed25519 signature check with WebCrypto (Node 20 and current browsers
 * have it): false for a bad signature, a malformed key or a browser without
 * Ed25519, which the caller reports.
 */
export async function verifyEd25519Async (publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64) return false
  let key
  try {
    key = await subtle().importKey('raw', view(publicKey), { name: 'Ed25519' }, false, ['verify'])
  } catch {
    return false
  }
  return await subtle().verify({ name: 'Ed25519' }, key, view(signature), view(message))
}

export async function sha256Async (bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', view(bytes)))
}

async function hkdfAsync (fileKey: CryptoKey, info: Uint8Array): Promise<Uint8Array> {
  const bits = await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: view(HKDF_SALT), info: view(info) }, fileKey, 256)
  return new Uint8Array(bits)
}

/** deriveSubkeys (keys.ts) with WebCrypto's HKDF-SHA256: the same labels, the same bytes. */
export async function deriveSubkeysAsync (fileKey: Uint8Array): Promise<Subkeys> {
  checkFileKeyLength(fileKey)
  const ikm = await subtle().importKey('raw', view(fileKey), 'HKDF', false, ['deriveBits'])
  const [blockKey, manifestKey, commitment] = await Promise.all([
    hkdfAsync(ikm, INFO_BLOCK), hkdfAsync(ikm, INFO_MANIFEST), hkdfAsync(ikm, INFO_COMMITMENT)
  ])
  return { blockKey: blockKey!, manifestKey: manifestKey!, commitment: commitment! }
}

/** Constant-time check of a manifest's key commitment against K's (WebCrypto). */
export async function commitmentMatchesAsync (expected: Uint8Array, fileKey: Uint8Array): Promise<boolean> {
  return constantTimeEqual(expected, (await deriveSubkeysAsync(fileKey)).commitment)
}
