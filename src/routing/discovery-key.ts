import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 } from '../crypto/index.js'
import { RAW_CODE, SHA2_256_CODE } from '../format/index.js'

const LABEL = new TextEncoder().encode('veil/v1/disc')

/**
 * The DHT key under which holders of a share unit (a root or a segment) are
 * announced: D = SHA-256("veil/v1/disc" ‖ CID bytes). Announcing D instead of
 * the CID keeps the DHT from linking records to blocks it might see
 * elsewhere, and gives one record per segment, never per block.
 */
export function discoveryKey (cid: CID): Uint8Array {
  return sha256(LABEL, cid.bytes)
}

/**
 * kad-dht provides and looks up CIDs (keyed by their multihash); wrap D in a
 * raw CID whose digest is D itself.
 */
export function discoveryCid (cid: CID): CID {
  return CID.createV1(RAW_CODE, Digest.create(SHA2_256_CODE, discoveryKey(cid)))
}
