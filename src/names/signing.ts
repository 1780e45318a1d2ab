import { createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto'
import { encodeNameRecord, signedBytes, type NameRecordFields } from './record.js'

/*
 * The publisher's side of a record: Ed25519 with node:crypto, from a
 * 32-byte seed (RFC 8032's secret key) kept in the repo (key-store.ts).
 */

/** PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex')

export const SEED_LENGTH = 32

export function generateSeed (): Uint8Array {
  return new Uint8Array(randomBytes(SEED_LENGTH))
}

function privateKey (seed: Uint8Array): KeyObject {
  if (seed.length !== SEED_LENGTH) throw new RangeError(`an Ed25519 seed is ${SEED_LENGTH} bytes`)
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' })
}

/** The 32-byte public key of a seed. */
export function publicKeyFromSeed (seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKey(seed)).export({ format: 'der', type: 'spki' })
  return new Uint8Array(spki.subarray(spki.length - 32))
}

/** Sign and encode a record (its public key must be the seed's). */
export function signNameRecord (seed: Uint8Array, fields: NameRecordFields): Uint8Array {
  return encodeNameRecord(fields, new Uint8Array(sign(null, signedBytes(fields), privateKey(seed))))
}
