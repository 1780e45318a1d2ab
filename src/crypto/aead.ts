import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto'

import { streamNonce, TAG_LENGTH, NONCE_LENGTH } from './stream-nonce.js'
import { SIV_LABEL } from './labels.js'

// The pure STREAM parts are shared with the browser page (stream-nonce.ts).
export { streamNonce, TAG_LENGTH, NONCE_LENGTH } from './stream-nonce.js'

/**
 * Encrypt one block: AES-256-GCM(key, streamNonce(index, last)), returned as
 * ciphertext ‖ 16-byte tag.
 */
export function sealBlock (key: Uint8Array, index: number, last: boolean, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  return seal(key, streamNonce(index, last), plaintext, aad)
}

/**
 * Decrypt one block sealed by `sealBlock`. Returns `undefined` when
 * authentication fails (wrong key, position, flag or any altered bit); the
 * caller turns that into an error that names the share position.
 */
export function openBlock (key: Uint8Array, index: number, last: boolean, sealed: Uint8Array, aad?: Uint8Array): Uint8Array | undefined {
  return open(key, streamNonce(index, last), sealed, aad)
}

/** AES-256-GCM with an explicit nonce; output is ciphertext ‖ tag. */
export function seal (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH })
  if (aad !== undefined) cipher.setAAD(aad)
  const out = new Uint8Array(plaintext.length + TAG_LENGTH)
  let offset = 0
  const head = cipher.update(plaintext)
  out.set(head, offset)
  offset += head.length
  const tail = cipher.final()
  out.set(tail, offset)
  offset += tail.length
  out.set(cipher.getAuthTag(), offset)
  return out
}

/** Inverse of `seal`; `undefined` when the tag does not verify. */
export function open (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array | undefined {
  if (sealed.length < TAG_LENGTH) return undefined
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH })
  if (aad !== undefined) decipher.setAAD(aad)
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH))
  // GCM emits everything from update(); final() only checks the tag. Keep
  // update()'s buffer as the result: no second 1 MiB allocation and copy.
  const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH))
  try {
    decipher.final()
  } catch {
    // Never hand out the unauthenticated plaintext.
    plain.fill(0)
    return undefined
  }
  return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength)
}

/**
 * A synthetic nonce for a message sealed once per key that may repeat across
 * shares in convergent mode (the root's metadata: same content, different
 * name → same manifest key). Deriving the nonce from the plaintext means equal
 * plaintexts give equal ciphertexts and different ones never reuse a nonce.
 */
export function syntheticNonce (key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const mac = createHmac('sha256', key)
  mac.update(SIV_LABEL)
  mac.update(plaintext)
  return new Uint8Array(mac.digest().subarray(0, NONCE_LENGTH))
}
