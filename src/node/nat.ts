/**
 * Reaching nodes behind NAT: circuit relay v2 (a relay server on public
 * storage nodes; a reservation and `/p2p-circuit` addresses on nodes that
 * cannot be dialled), AutoNAT v2 (learn whether our addresses are
 * reachable), DCUtR (try to turn a relayed connection into a direct one) and
 * UPnP (ask the home router for a port forward). Each is opt-in here; the
 * CLI turns them on for `veil node start` (see docs/network.md).
 */
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { autoNATv2 } from '@libp2p/autonat-v2'
import { dcutr } from '@libp2p/dcutr'
import { uPnPNAT } from '@libp2p/upnp-nat'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from 'libp2p'
import type { Logger, PeerId } from '@libp2p/interface'

/** The relay's defaults per relayed connection on the public network (libp2p's own). */
export const DEFAULT_RELAY_DATA_LIMIT = 128 * 1024
export const DEFAULT_RELAY_DURATION_LIMIT_MS = 2 * 60 * 1000

export interface NatInit {
  /** Relay connections for peers that cannot be dialled (circuit relay v2 server). Default false. */
  relayServer?: boolean
  /**
   * Per relayed connection. 'none' relays without limits — what a private
   * swarm does, where every connected peer holds the swarm key. Default:
   * 128 KiB and 2 minutes (libp2p's), which a 1 MiB block does not fit.
   */
  relayLimits?: 'none' | { dataBytes?: number, durationMs?: number }
  /** Peers the relay serves at once (each holds one reservation). Default 15. */
  maxReservations?: number
  /**
   * Reserve a slot on a relay and announce `/p2p-circuit` addresses through
   * it (for a node behind NAT). Default false.
   */
  reserve?: boolean
  /** Learn whether this node's addresses are reachable (AutoNAT v2). Default: on when relaying or reserving. */
  autonat?: boolean
  /** Try to upgrade relayed connections to direct ones (hole punching). Default: on when reserving. */
  dcutr?: boolean
  /** Ask the router for a port forward (UPnP IGD). Default false. */
  upnp?: boolean
}

/** A relay request (HOP) must be answered within this; libp2p's default is 30 s. */
const HOP_TIMEOUT_MS = 10_000
/** Relay requests one connection may have open at once (libp2p's default is 32). */
const MAX_INBOUND_HOP_STREAMS = 8

type Factory = (components: any) => unknown

/** The transports NAT traversal adds (the relay transport dials and listens on circuits). */
export function natTransports (_init: NatInit): Factory[] {
  // Every node can dial a peer behind NAT through its relay (`…/p2p-circuit/p2p/<id>`); the
  // transport costs nothing until used, and reserves a slot only when `/p2p-circuit` is listened on.
  return [circuitRelayTransport({ reservationCompletionTimeout: 10_000 }) as Factory]
}

/**
 * Listen addresses NAT traversal adds at start: none. Listening on a bare
 * `/p2p-circuit` makes the relay transport search for relays by random
 * walks of the DHT, and with an empty routing table (before the node has
 * joined) those walks finish at once and repeat without yielding: measured,
 * the node never finished starting. RelayReserver listens on specific
 * relays instead, once it knows some.
 */
export function natListen (_init: NatInit): string[] {
  return []
}

/** The services NAT traversal adds. */
export function natServices (init: NatInit): Record<string, Factory> {
  const services: Record<string, Factory> = {}
  if (init.relayServer === true) {
    const limits = init.relayLimits ?? {}
    services.relay = circuitRelayServer({
      hopTimeout: HOP_TIMEOUT_MS,
      maxInboundHopStreams: MAX_INBOUND_HOP_STREAMS,
      reservations: limits === 'none'
        ? { maxReservations: init.maxReservations ?? 15, applyDefaultLimit: false }
        : {
            maxReservations: init.maxReservations ?? 15,
            applyDefaultLimit: true,
            defaultDataLimit: BigInt(limits.dataBytes ?? DEFAULT_RELAY_DATA_LIMIT),
            defaultDurationLimit: limits.durationMs ?? DEFAULT_RELAY_DURATION_LIMIT_MS
          }
    }) as Factory
  }
  if (init.autonat ?? (init.relayServer === true || init.reserve === true)) services.autonat = autoNATv2() as Factory
  if (init.dcutr ?? init.reserve === true) services.dcutr = dcutr() as Factory
  if (init.upnp === true) services.upnp = uPnPNAT() as Factory
  return services
}

/** What a relay server speaks (circuit relay v2's HOP protocol). */
export const RELAY_HOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/hop'

interface TransportManager { listen: (addrs: ReturnType<typeof multiaddr>[]) => Promise<void> }

/**
 * For a node behind NAT: once a peer identifies itself as a relay (its
 * identify lists the HOP protocol), listen through it —
 * `<relay address>/p2p/<relay>/p2p-circuit` — which reserves a slot there
 * and announces this node's `/p2p-circuit` address. Up to `relays` relays
 * (default 2); a relay that goes away is replaced when another identifies.
 */
export class RelayReserver {
  private readonly used = new Map<string, string>()
  private readonly trying = new Set<string>()
  private stopped = false

  /**
   * `onReserved` runs after each new slot: the node's addresses changed, and
   * what it announced before (from before the slot, or a restart) carries
   * none it can be reached at — the announcer re-announces.
   */
  constructor (private readonly libp2p: Libp2p, private readonly log: Logger, private readonly relays = 2, private readonly onReserved?: () => void) {}

  start (): void {
    this.stopped = false
    this.libp2p.addEventListener('peer:identify', this.onIdentify)
    this.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
    // Peers identified before start (the bootstrap peers).
    void this.libp2p.peerStore.all().then(peers => {
      for (const peer of peers) if (peer.protocols.includes(RELAY_HOP_PROTOCOL)) void this.tryRelay(peer.id)
    }).catch(() => {})
  }

  stop (): void {
    this.stopped = true
    this.libp2p.removeEventListener('peer:identify', this.onIdentify)
    this.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
  }

  /** Relays this node holds a slot on (peer ids). */
  get relaysInUse (): string[] {
    return [...this.used.keys()]
  }

  private readonly onIdentify = (event: CustomEvent<{ peerId: PeerId, protocols: string[] }>): void => {
    if (event.detail.protocols.includes(RELAY_HOP_PROTOCOL)) void this.tryRelay(event.detail.peerId)
  }

  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    // The reservation ends with the connection; another relay (or this one, back) may take its place.
    this.used.delete(event.detail.toString())
  }

  private async tryRelay (relay: PeerId): Promise<void> {
    const key = relay.toString()
    if (this.stopped || this.used.has(key) || this.trying.has(key) || this.used.size >= this.relays) return
    const connection = this.libp2p.getConnections(relay).find(c => c.status === 'open' && !c.remoteAddr.toString().includes('/p2p-circuit'))
    if (connection === undefined) return
    this.trying.add(key)
    try {
      const address = connection.remoteAddr.toString().includes('/p2p/') ? connection.remoteAddr.toString() : `${connection.remoteAddr.toString()}/p2p/${key}`
      const manager = (this.libp2p as unknown as { components: { transportManager: TransportManager } }).components.transportManager
      await manager.listen([multiaddr(`${address}/p2p-circuit`)])
      this.used.set(key, address)
      this.log('reserved a slot on relay %p', relay)
      this.onReserved?.()
    } catch (err) {
      this.log('could not reserve a slot on relay %p: %e', relay, err)
    } finally {
      this.trying.delete(key)
    }
  }
}
