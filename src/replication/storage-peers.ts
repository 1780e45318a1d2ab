import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Libp2p } from 'libp2p'
import type { CID } from 'multiformats/cid'
import { swarmProtocolPrefix } from '../swarm/index.js'
import { discoveryCid } from '../routing/index.js'
import { deadline } from '../util/index.js'

/** A storage node advertises this protocol (through identify); it carries no data. */
export function storageProtocol (swarmId?: string): string {
  return `${swarmProtocolPrefix(swarmId)}/storage/1.0.0`
}

/** What finding storage nodes needs of the libp2p node: its peer store, its DHT, dialling and identify events. */
export type StoragePeerHost = Pick<Libp2p<{ dht: KadDHT }>, 'peerId' | 'peerStore' | 'services' | 'dial' | 'addEventListener' | 'removeEventListener'>

/** Storage nodes this node already knows: their identify records list the storage protocol. */
export async function knownStoragePeers (libp2p: StoragePeerHost, protocol: string): Promise<PeerId[]> {
  const self = libp2p.peerId
  return (await libp2p.peerStore.all())
    .filter(peer => !peer.id.equals(self) && peer.protocols.includes(protocol))
    .map(peer => peer.id)
}

/**
 * The storage nodes a unit may be placed on: those this node already knows
 * (their identify records list the storage protocol) plus the peers the DHT
 * returns as closest to the unit's discovery key, dialled and identified on
 * the spot. Placement then ranks them by XOR distance.
 */
export async function findStoragePeers (libp2p: StoragePeerHost, protocol: string, unit: CID, options: AbortOptions & { timeoutMs?: number } = {}): Promise<PeerId[]> {
  const found = new Map<string, PeerId>()
  const self = libp2p.peerId
  for (const peer of await knownStoragePeers(libp2p, protocol)) found.set(peer.toString(), peer)
  const signal = deadline(options.timeoutMs ?? 10_000, options.signal)
  const unknown: PeerId[] = []
  try {
    // Every peer the look-up met near the key is a candidate, not only the
    // final closest set (which, from a fresh client, can be as few as 3).
    const seen = new Set<string>()
    const consider = (peer: PeerId): void => {
      const key = peer.toString()
      if (peer.equals(self) || found.has(key) || seen.has(key)) return
      seen.add(key)
      unknown.push(peer)
    }
    for await (const event of libp2p.services.dht.getClosestPeers(discoveryCid(unit).multihash.bytes, { signal })) {
      if (event.name === 'FINAL_PEER') consider(event.peer.id)
      else if (event.name === 'PEER_RESPONSE') for (const peer of event.closer) consider(peer.id)
    }
  } catch {
    // a look-up that ends early still leaves the peers known so far
  }
  await Promise.all(unknown.map(async peer => {
    try {
      if (await identifiedProtocols(libp2p, peer, signal).then(protocols => protocols.includes(protocol))) found.set(peer.toString(), peer)
    } catch {
      // unreachable or silent: not a candidate
    }
  }))
  return [...found.values()]
}

/** Connect to `peer` and return the protocols its identify message listed. */
async function identifiedProtocols (libp2p: StoragePeerHost, peer: PeerId, signal: AbortSignal): Promise<string[]> {
  const identified = new Promise<void>((resolve) => {
    const onIdentify = (event: CustomEvent<{ peerId: PeerId }>): void => {
      if (!event.detail.peerId.equals(peer)) return
      libp2p.removeEventListener('peer:identify', onIdentify)
      resolve()
    }
    libp2p.addEventListener('peer:identify', onIdentify)
    signal.addEventListener('abort', () => { libp2p.removeEventListener('peer:identify', onIdentify); resolve() }, { once: true })
  })
  await libp2p.dial(peer, { signal })
  const known = await libp2p.peerStore.get(peer)
  if (known.protocols.length > 0) return known.protocols
  await identified
  return (await libp2p.peerStore.get(peer)).protocols
}
