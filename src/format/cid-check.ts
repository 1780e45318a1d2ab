import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import * as raw from 'multiformats/codecs/raw'
import * as dagCbor from '@ipld/dag-cbor'
import { constantTimeEqual, sha256Async } from '../crypto/portable.js'
import { BlockHashMismatchError, UnsupportedHashError } from '../errors.js'

/*
 * The CID rules of format v1 as portable code (WebCrypto and pure
 * functions): it runs unchanged in Node and in the gateway page. cid.ts adds
 * the synchronous node:crypto versions the CLI uses.
 */

/** Codecs a Veil share is made of: raw ciphertext blocks and dag-cbor manifests. */
export const RAW_CODE = raw.code
export const DAG_CBOR_CODE = dagCbor.code
/** The multihash code of sha2-256. */
export const SHA2_256_CODE = 0x12

/** CIDv1 of a ciphertext block whose SHA-256 was computed elsewhere (a worker thread). */
export function rawCidFromDigest (digest: Uint8Array): CID {
  return CID.createV1(RAW_CODE, Digest.create(SHA2_256_CODE, digest))
}

/** True when `digest` is the SHA-256 digest `cid` names (constant time). */
export function digestMatches (cid: CID, digest: Uint8Array): boolean {
  return cid.multihash.code === SHA2_256_CODE && constantTimeEqual(cid.multihash.digest, digest)
}

/** True when `cid` is one Veil can address: CIDv1, raw or dag-cbor, sha2-256. */
export function isSupportedCid (cid: CID): boolean {
  return cid.version === 1 &&
    (cid.code === RAW_CODE || cid.code === DAG_CBOR_CODE) &&
    cid.multihash.code === SHA2_256_CODE &&
    cid.multihash.size === 32
}

export function unsupportedHash (cid: CID): UnsupportedHashError {
  return new UnsupportedHashError(`block ${cid.toString()} does not use a CIDv1 with sha2-256 over raw or dag-cbor; Veil cannot verify it`)
}

export function hashMismatch (cid: CID): BlockHashMismatchError {
  return new BlockHashMismatchError(`block bytes do not match their CID ${cid.toString()}: the block was altered or truncated`)
}

/** rawCid, hashing with WebCrypto (on the thread pool in Node). */
export async function rawCidAsync (bytes: Uint8Array): Promise<CID> {
  return rawCidFromDigest(await sha256Async(bytes))
}

/** verifyBlock, hashing with WebCrypto (same checks, same errors). */
export async function verifyBlockAsync (cid: CID, bytes: Uint8Array): Promise<void> {
  if (!isSupportedCid(cid)) throw unsupportedHash(cid)
  if (!digestMatches(cid, await sha256Async(bytes))) throw hashMismatch(cid)
}
