import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { sha256 } from '../crypto/index.js'
import { discoveryCid } from '../routing/index.js'

/**
 * XOR distances in kad-dht's key space: a peer's position is SHA-256 of its
 * multihash, a unit's is SHA-256 of its discovery CID's multihash — the same
 * mapping the DHT uses, so "the R storage nodes closest to a unit" agrees
 * with where the DHT looks.
 */

export function peerPosition (peer: PeerId): Uint8Array {
  return sha256(peer.toMultihash().bytes)
}

export function unitPosition (unit: CID): Uint8Array {
  return sha256(discoveryCid(unit).multihash.bytes)
}

/** Negative when `a` is closer to `target` than `b`. */
export function compareDistance (target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < target.length; i++) {
    const da = a[i]! ^ target[i]!
    const db = b[i]! ^ target[i]!
    if (da !== db) return da - db
  }
  return 0
}

/** Peers sorted closest-first to a unit. */
export function closestTo (unit: CID, peers: PeerId[]): PeerId[] {
  const target = unitPosition(unit)
  return peers
    .map(peer => ({ peer, position: peerPosition(peer) }))
    .sort((a, b) => compareDistance(target, a.position, b.position))
    .map(({ peer }) => peer)
}
