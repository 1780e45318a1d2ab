import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidOptionError } from '../errors.js'
import { pnetProtector } from './pnet.js'

/** Told of each inbound connection this node turned away, with libp2p's error name. */
export interface RefusalLog {
  refused(reason: string): void
}

export interface SwarmNetwork {
  /** The swarm's 32-byte pre-shared key (secret). */
  key: Uint8Array
  /** Peer ids allowed in; empty or absent: anyone holding the key. */
  allowPeers?: string[]
}

/** pnet with the swarm key (see pnet.ts: @libp2p/pnet's protocol, with libsodium's cipher when it loads). */
export function swarmProtector (swarm: SwarmNetwork): ReturnType<typeof pnetProtector> {
  return pnetProtector({ key: swarm.key })
}

/**
 * A gater for an allow-list of peer ids: connections to or from any other
 * peer are refused once its identity is known (after the handshake).
 */
export function allowListGater (allowPeers: string[]): ConnectionGater {
  const allowed = new Set<string>()
  for (const id of allowPeers) {
    try {
      allowed.add(peerIdFromString(id).toString())
    } catch {
      throw new InvalidOptionError(`"${id}" in the swarm's allow-list is not a peer id: list peer ids like 12D3KooW…`)
    }
  }
  const deny = (peer: PeerId): boolean => !allowed.has(peer.toString())
  return {
    denyDialPeer: async (peer: PeerId) => deny(peer),
    denyOutboundEncryptedConnection: async (peer: PeerId) => deny(peer),
    // Refused inbound connections are counted with every other failed upgrade (refusal-metrics.ts).
    denyInboundEncryptedConnection: async (peer: PeerId, _conn: MultiaddrConnection) => deny(peer),
    denyDialMultiaddr: async (_addr: Multiaddr) => false
  }
}
