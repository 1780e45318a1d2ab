import { InvalidParametersError } from '@libp2p/interface'
import { sha256 } from '../crypto/index.js'

/** Length of a swarm's pre-shared key (the pnet PSK), in bytes. */
export const SWARM_KEY_LENGTH = 32

/** Bytes of SHA-256 kept for a swarm id; printed as twice as many hex characters. */
export const SWARM_ID_BYTES = 8

const SWARM_ID_LABEL = new TextEncoder().encode('veil/v1/swarm-id')
const SWARM_ID = /^[0-9a-f]{16}$/

/**
 * A short, stable, public name for a swarm, derived from its key:
 * hex(SHA-256("veil/v1/swarm-id" ‖ key)[0..8]).
 *
 * It names the swarm's protocols, so nodes of different swarms (or of a swarm
 * and the public network) never mix DHT tables even if a connection got
 * through. It is one-way and truncated, so showing it reveals nothing usable
 * about the key; 64 bits is plenty to keep swarms apart, and it is not a
 * security boundary (pnet is).
 */
export function swarmId (key: Uint8Array): string {
  if (key.length !== SWARM_KEY_LENGTH) {
    throw new InvalidParametersError(`a swarm key is ${SWARM_KEY_LENGTH} bytes, got ${key.length}`)
  }
  return Buffer.from(sha256(SWARM_ID_LABEL, key).subarray(0, SWARM_ID_BYTES)).toString('hex')
}

export function isSwarmId (id: string): boolean {
  return SWARM_ID.test(id)
}

/** `/veil` on the public network, `/veil/<id>` in a private swarm. */
export function swarmProtocolPrefix (id?: string): string {
  if (id === undefined) return '/veil'
  // The id is spliced into protocol strings: refuse anything that could add a path segment.
  if (!isSwarmId(id)) {
    throw new InvalidParametersError(`a swarm id is ${SWARM_ID_BYTES * 2} lower-case hex characters (from swarmId or parseSwarmKeyFile)`)
  }
  return `/veil/${id}`
}

/** `/veil/kad/1.0.0`, or `/veil/<id>/kad/1.0.0` in a private swarm. */
export function dhtProtocol (id?: string): string {
  return `${swarmProtocolPrefix(id)}/kad/1.0.0`
}

/**
 * `/veil/blocks/2.0.0`, or `/veil/<id>/blocks/2.0.0` in a private swarm.
 * 2.0.0: a PUT is admitted from its header (unit, size, lease) before its blocks travel.
 */
export function blockProtocol (id?: string): string {
  return `${swarmProtocolPrefix(id)}/blocks/2.0.0`
}
