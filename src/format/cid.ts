import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 as sha256Hasher } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import * as dagCbor from '@ipld/dag-cbor'
import { sha256, sha256Async } from '../crypto/index.js'
import { BlockHashMismatchError, UnsupportedHashError } from '../errors.js'

/** Codecs a Veil share is made of: raw ciphertext blocks and dag-cbor manifests. */
export const RAW_CODE = raw.code
export const DAG_CBOR_CODE = dagCbor.code
export const SHA2_256_CODE = sha256Hasher.code

function digestOf (bytes: Uint8Array): Digest.Digest<typeof SHA2_256_CODE, number> {
  return Digest.create(SHA2_256_CODE, sha256(bytes))
}

/** CIDv1 of a ciphertext block (codec raw, sha2-256). */
export function rawCid (bytes: Uint8Array): CID {
  return CID.createV1(RAW_CODE, digestOf(bytes))
}

/** CIDv1 of a ciphertext block whose SHA-256 was computed elsewhere (a worker thread). */
export function rawCidFromDigest (digest: Uint8Array): CID {
  return CID.createV1(RAW_CODE, Digest.create(SHA2_256_CODE, digest))
}

/** True when `digest` is the SHA-256 digest `cid` names (constant time). */
export function digestMatches (cid: CID, digest: Uint8Array): boolean {
  const expected = cid.multihash.digest
  if (cid.multihash.code !== SHA2_256_CODE || expected.length !== digest.length) return false
  let diff = 0
  for (let i = 0; i < digest.length; i++) diff |= digest[i]! ^ expected[i]!
  return diff === 0
}

/** CIDv1 of an encoded manifest node (codec dag-cbor, sha2-256). */
export function dagCborCid (bytes: Uint8Array): CID {
  return CID.createV1(DAG_CBOR_CODE, digestOf(bytes))
}

/** True when `cid` is one Veil can address: CIDv1, raw or dag-cbor, sha2-256. */
export function isSupportedCid (cid: CID): boolean {
  return cid.version === 1 &&
    (cid.code === RAW_CODE || cid.code === DAG_CBOR_CODE) &&
    cid.multihash.code === SHA2_256_CODE &&
    cid.multihash.size === 32
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
  if (!isSupportedCid(cid)) {
    throw new UnsupportedHashError(`block ${cid.toString()} does not use a CIDv1 with sha2-256 over raw or dag-cbor; Veil cannot verify it`)
  }
  if (!cidMatches(cid, bytes)) {
    throw new BlockHashMismatchError(`block bytes do not match their CID ${cid.toString()}: the block was altered or truncated`)
  }
}

/** rawCid, hashing on the thread pool. */
export async function rawCidAsync (bytes: Uint8Array): Promise<CID> {
  return rawCidFromDigest(await sha256Async(bytes))
}

/** verifyBlock, hashing on the thread pool (same checks, same errors). */
export async function verifyBlockAsync (cid: CID, bytes: Uint8Array): Promise<void> {
  if (!isSupportedCid(cid)) {
    throw new UnsupportedHashError(`block ${cid.toString()} does not use a CIDv1 with sha2-256 over raw or dag-cbor; Veil cannot verify it`)
  }
  if (!digestMatches(cid, await sha256Async(bytes))) {
    throw new BlockHashMismatchError(`block bytes do not match their CID ${cid.toString()}: the block was altered or truncated`)
  }
}
