import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 } from '../crypto/index.js'
import { digestMatches, hashMismatch, isSupportedCid, unsupportedHash, DAG_CBOR_CODE, RAW_CODE, SHA2_256_CODE } from './cid-check.js'

// The portable rules (cid-check.ts) are shared with the gateway page; this
// file adds the synchronous node:crypto fast path.
export { RAW_CODE, DAG_CBOR_CODE, SHA2_256_CODE, rawCidFromDigest, digestMatches, isSupportedCid, rawCidAsync, verifyBlockAsync } from './cid-check.js'

function digestOf (bytes: Uint8Array): Digest.Digest<typeof SHA2_256_CODE, number> {
  return Digest.create(SHA2_256_CODE, sha256(bytes))
}

/** CIDv1 of a ciphertext block (codec raw, sha2-256). */
export function rawCid (bytes: Uint8Array): CID {
  return CID.createV1(RAW_CODE, digestOf(bytes))
}

/** CIDv1 of an encoded manifest node (codec dag-cbor, sha2-256). */
export function dagCborCid (bytes: Uint8Array): CID {
  return CID.createV1(DAG_CBOR_CODE, digestOf(bytes))
}

/** True when the SHA-256 of `bytes` is the digest `cid` names. */
export function cidMatches (cid: CID, bytes: Uint8Array): boolean {
  if (cid.multihash.code !== SHA2_256_CODE) return false
  return digestMatches(cid, sha256(bytes))
}

/**
 * Verify a block against its CID before it is stored or used.
 * Throws `UnsupportedHashError` for a hash Veil does not use and
 * `BlockHashMismatchError` when the bytes do not match.
 */
export function verifyBlock (cid: CID, bytes: Uint8Array): void {
  if (!isSupportedCid(cid)) throw unsupportedHash(cid)
  if (!cidMatches(cid, bytes)) throw hashMismatch(cid)
}
