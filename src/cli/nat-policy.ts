/**
 * Which NAT traversal `veil node start` turns on, from its settings and the
 * machine's interfaces: UPnP and relay reservations only make sense for a
 * node listening beyond loopback, and a storage node relays for others only
 * when it is itself reachable beyond loopback.
 */
import { networkInterfaces } from 'node:os'
import type { NatInit } from '../node/index.js'
import type { Settings } from './config.js'

/** Private, loopback, link-local and CGNAT ranges: an address in them is not reachable from the internet. */
function isPublicIPv4 (ip: string): boolean {
  const [a = 0, b = 0] = ip.split('.').map(Number)
  if (a === 10 || a === 127 || a === 0) return false
  if (a === 172 && b >= 16 && b <= 31) return false
  if (a === 192 && b === 168) return false
  if (a === 169 && b === 254) return false
  if (a === 100 && b >= 64 && b <= 127) return false
  return a < 224
}

/** The IPv4 addresses the listen addresses bind (0.0.0.0: every interface's). */
function boundAddresses (listen: string[]): string[] {
  const out: string[] = []
  for (const address of listen) {
    const ip = /^\/ip4\/([^/]+)\//.exec(address)?.[1]
    if (ip === undefined) continue
    if (ip !== '0.0.0.0') { out.push(ip); continue }
    for (const list of Object.values(networkInterfaces())) for (const info of list ?? []) if (info.family === 'IPv4') out.push(info.address)
  }
  return out
}

export interface NatFlags {
  /** --relay-server / --no-relay-server */
  relayServer?: boolean
  /** --behind-nat: reserve a relay slot whatever the addresses look like. */
  behindNat?: boolean
}

export function natPolicy (settings: Settings, flags: NatFlags): NatInit {
  const bound = boundAddresses(settings.listen)
  const beyondLoopback = bound.some(ip => !ip.startsWith('127.'))
  const hasPublic = bound.some(isPublicIPv4)
  const announced = settings.announce.length > 0
  const relayServer = flags.relayServer ?? (settings.relay.server === 'storage' ? settings.storage !== undefined && beyondLoopback : settings.relay.server)
  // Behind NAT: listening beyond loopback, with no public address of its own and none announced.
  const reserve = flags.behindNat ?? (beyondLoopback && !hasPublic && !announced)
  return {
    relayServer,
    relayLimits: settings.relay.unlimited
      ? 'none'
      : settings.relay.dataLimit === undefined && settings.relay.durationLimitMs === undefined
      ? undefined
      : { dataBytes: settings.relay.dataLimit, durationMs: settings.relay.durationLimitMs },
    maxReservations: settings.relay.maxReservations,
    reserve,
    upnp: settings.upnp && beyondLoopback && !announced
  }
}
