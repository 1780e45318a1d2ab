import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper, type KadDHT, type RoutingTable, type SelectFn, type SingleKadDHT, type ValidateFn } from '@libp2p/kad-dht'
import type { Libp2pOptions } from 'libp2p'
import type { ComponentLogger, ConnectionGater, PrivateKey } from '@libp2p/interface'
import type { RefusalLog } from './guarded-network.js'
import { refusalMetrics } from './refusal-metrics.js'
import { tapRefusals } from './refusal-tap.js'
import { dhtProtocol } from '../swarm/index.js'
import type { WireGuard } from './wire-guard.js'
import { guardedMuxer, guardedProtector } from './wire-guard-libp2p.js'
import type { BlockExchange, BlockExchangeComponents } from '../protocol/index.js'
import type { VeilServices } from './types.js'
import { natListen, natServices, natTransports, type NatInit } from './nat.js'

export const DEFAULT_DHT_PROTOCOL = dhtProtocol()

export interface TransportOptions {
  privateKey: PrivateKey
  listen: string[]
  dhtProtocol: string
  /** Answer DHT queries (storage nodes, daemons) or only ask them (light clients). */
  dhtServer: boolean
  /** A private swarm's pnet protector; absent on the public network. */
  connectionProtector?: Libp2pOptions['connectionProtector']
  connectionGater?: ConnectionGater
  /** Told about every refused inbound connection. */
  refusals?: RefusalLog
  /** DHT record lifetimes and re-provide timing (tests shorten them). */
  providerValidityMs?: number
  /**
   * Watches the length prefixes libp2p's own readers parse (multistream-select,
   * kad-dht, identify) and resets a connection or stream whose prefix never
   * ends; see wire-guard.ts.
   */
  wireGuard?: WireGuard
  /** kad-dht validators and selectors for record namespaces (mutable links' `/veil/`). */
  dhtRecords?: { validators: Record<string, ValidateFn>, selectors: Record<string, SelectFn> }
  logger?: ComponentLogger
  /** NAT traversal: relay server and client, AutoNAT, DCUtR, UPnP (see nat.ts). */
  nat?: NatInit
  /** Addresses to tell peers instead of the listen addresses (a port forward's public address). */
  announce?: string[]
  /** A libp2p metrics implementation to use instead of the refusal counter alone (Prometheus). */
  metrics?: Libp2pOptions['metrics']
}

/**
 * Streams a peer may have open towards us on one connection, all protocols
 * together (Yamux's default is 1000). Each new stream costs ~0.3 ms of the
 * event loop to negotiate, and a peer can pack hundreds of stream openings
 * into one TCP read: 300 at once stalled a node 83 ms, so 1000 would stall it
 * ~300 ms. Veil needs at most ~130 per connection (80 block exchange, 32
 * kad-dht, identify, ping); past 256 Yamux resets new streams at once.
 */
export const MAX_INBOUND_STREAMS = 256

/** Connection encrypters this stack runs (the wire guard steps aside once one is agreed). */
const ENCRYPTERS = ['/noise']
/** Protocols whose payload is not varint-framed: ping echoes raw 32-byte payloads. */
const UNFRAMED_PROTOCOLS = ['/ipfs/ping/1.0.0']
/**
 * Largest kad-dht message the guard lets a peer announce: kad-dht reads
 * frames with no length limit of its own and buffers up to 4 MiB per stream
 * waiting for a body. Veil's DHT carries provider records and peer lists (a
 * few KiB); 1 MiB leaves room for signed records.
 */
export const MAX_DHT_MESSAGE = 1024 * 1024

/**
 * The libp2p stack every Veil node runs: TCP, Noise, Yamux, identify, ping,
 * a kad-dht on Veil's own protocol id (never the public IPFS DHT) and the
 * block exchange.
 */
export function libp2pOptions (options: TransportOptions, blocks: (components: BlockExchangeComponents) => BlockExchange): Libp2pOptions<VeilServices> {
  const guard = options.wireGuard
  const muxer = yamux({ maxInboundStreams: MAX_INBOUND_STREAMS })
  return {
    privateKey: options.privateKey,
    logger: options.logger,
    addresses: { listen: [...options.listen, ...natListen(options.nat ?? {})], ...(options.announce !== undefined && options.announce.length > 0 ? { announce: options.announce } : {}) },
    transports: [tcp(), ...natTransports(options.nat ?? {}) as Array<ReturnType<typeof tcp>>],
    connectionEncrypters: [noise()],
    metrics: options.metrics !== undefined
      ? (options.refusals === undefined ? options.metrics : tapRefusals(options.metrics, options.refusals))
      : (options.refusals === undefined ? undefined : refusalMetrics(options.refusals)),
    // Yamux's default 256 KiB starting window: a larger one (tried: 4 MiB, so
    // a block fits a fresh stream) did not measurably speed fetches up, and it
    // lets any peer push that much into every stream it opens before flow
    // control stops it (the hostile-peer test saw memory grow 8× more).
    streamMuxers: [guard === undefined ? muxer : guardedMuxer(guard, muxer, { unframed: UNFRAMED_PROTOCOLS, maxFrame: { [options.dhtProtocol]: MAX_DHT_MESSAGE } })],
    connectionProtector: guard === undefined ? options.connectionProtector : guardedProtector(guard, ENCRYPTERS, options.connectionProtector),
    connectionGater: {
      // Loopback and LAN addresses are how local and private swarms reach each other.
      denyDialMultiaddr: async () => false,
      ...options.connectionGater
    },
    connectionManager: {
      // libp2p refuses more than 5 inbound connections a second from one IP by
      // default, which breaks swarms on one host (PLATFORM.md).
      inboundConnectionThreshold: 1000,
      maxIncomingPendingConnections: 200,
      maxConnections: 500,
      // An outsider with another swarm key passes pnet's nonce exchange and then
      // sends noise the handshake may wait on: drop such connections after 5 s
      // (libp2p's default is 10 s).
      inboundUpgradeTimeout: 5_000
    },
    services: {
      identify: identify(),
      ping: ping(),
      // kad-dht takes the ping service above as a component.
      dht: kadDHT({
        protocol: options.dhtProtocol,
        clientMode: !options.dhtServer,
        // Keep private and loopback addresses: LAN and local swarms need them.
        peerInfoMapper: passthroughMapper,
        allowQueryWithZeroPeers: true,
        validators: options.dhtRecords?.validators,
        selectors: options.dhtRecords?.selectors,
        // Record lifetime and re-provide timing live only here in kad-dht 16
        // (its `providers.provideValidity` is ignored), in milliseconds.
        ...(options.providerValidityMs === undefined
          ? {}
          : { reprovide: { validity: options.providerValidityMs, threshold: Math.floor(options.providerValidityMs / 2), interval: Math.floor(options.providerValidityMs / 4) } })
      }),
      blocks,
      ...natServices(options.nat ?? {})
    }
  }
}

/**
 * The DHT's routing table, whose `size` counts the peers it knows (and which
 * is an event target of 'peer:add'). kadDHT() is typed as making a KadDHT;
 * the service it makes is a SingleKadDHT, which has one.
 */
export function routingTableOf (dht: KadDHT): RoutingTable | undefined {
  return isSingleKadDHT(dht) ? dht.routingTable : undefined
}

function isSingleKadDHT (dht: KadDHT): dht is SingleKadDHT {
  return 'routingTable' in dht
}
