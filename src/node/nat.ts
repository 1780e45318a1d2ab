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

/** Listen addresses NAT traversal adds: `/p2p-circuit` makes the relay transport reserve a slot. */
export function natListen (init: NatInit): string[] {
  return init.reserve === true ? ['/p2p-circuit'] : []
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
