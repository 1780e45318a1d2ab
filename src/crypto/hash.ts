import { createHash } from 'node:crypto'

/** SHA-256 with node:crypto (about 3× faster here than any JS or wasm hash). */
export function sha256 (...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  const digest = hash.digest()
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}
