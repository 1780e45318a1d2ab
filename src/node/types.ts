import type { AbortOptions, Metrics, PeerId, PrivateKey } from '@libp2p/interface'
import type { Identify } from '@libp2p/identify'
import type { NatInit } from './nat.js'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { BlockStore } from '../blockstore/index.js'
import type { BlockExchange, BlockExchangeInit } from '../protocol/index.js'
import type { AnnouncerInit } from '../routing/index.js'
import type { FetcherInit } from '../fetch/index.js'
import type { ImportOptions, ImportProgressEvents, ShareResult } from '../importer/index.js'
import type { ExportOptions, ExportResult } from '../exporter/index.js'
import type { PlacementProgressEvents, ShareKeeperInit, StorageInit, StorageStatus } from '../replication/index.js'
import type { SwarmNetwork } from './guarded-network.js'
import type { GatewayInit } from '../gateway/index.js'
import type { NameServiceInit } from '../names/index.js'

/** The libp2p services every Veil node runs. */
export interface VeilServices extends Record<string, unknown> {
  identify: Identify
  ping: Ping
  dht: KadDHT
  blocks: BlockExchange
}

export interface VeilNodeInit {
  /** Repo directory: identity and block store live here. Without one, both are ephemeral. */
  repo?: string
  /** Listen addresses. Default `/ip4/127.0.0.1/tcp/0`. */
  listen?: string[]
  /** Peers to join the swarm through (multiaddrs with /p2p/<peer id>). */
  bootstrap?: string[]
  /** Answer DHT queries (default) or only ask them (light clients). */
  dhtServer?: boolean
  /** Protocol ids; a private swarm scopes both. */
  dhtProtocol?: string
  blockProtocol?: string
  /** Use this store instead of the repo's (or memory). */
  store?: BlockStore
  privateKey?: PrivateKey
  /**
   * A private swarm: connections need its pre-shared key (pnet), and the DHT
   * and block protocols are scoped to its id, so its records never mix with
   * another swarm's or the public network's.
   */
  swarm?: SwarmNetwork
  /** Fail closed: refuse to start without a swarm (VEIL_FORCE_SWARM). */
  requireSwarm?: boolean
  /** DHT record lifetimes (tests shorten them). */
  providerValidityMs?: number
  /** Make this a storage node giving `capacity` bytes to the swarm (needs a repo). */
  storage?: StorageInit
  /** Renewing the leases of this repo's own shares (a daemon sets `renewEveryMs`). */
  keepShares?: ShareKeeperInit
  announce?: AnnouncerInit
  exchange?: Omit<BlockExchangeInit, 'store' | 'protocol'>
  fetch?: FetcherInit & {
    /** Blocks in flight per fetch. Default 16, asked for 8 at a time (see FETCH_WINDOW). */
    window?: number
    /** Holders to find per unit before the lookup stops. Default 3. */
    holdersPerUnit?: number
    /** Give up looking for holders of a unit after this long. Default 15 s. */
    lookupTimeoutMs?: number
  }
  /**
   * Where fetched blocks are hashed and decrypted: 'inline' (default) on the
   * thread that receives them, or 'workers' on worker threads. Measured on
   * this 2-core machine (256 MiB, one holder on loopback), workers gave the
   * same throughput — both processes together already use both cores — and
   * ~50 MB more peak RSS; on a fetcher with cores to spare they free the
   * thread that runs Noise.
   */
  fetchCrypto?: 'inline' | 'workers'
  /** Worker threads when fetchCrypto is 'workers'. Default: cores, at most 4. */
  cryptoThreads?: number
  /**
   * Wait this long at start for the DHT to know a peer (when bootstrapping);
   * with keepJoining, the length of each attempt. Default DEFAULT_JOIN_TIMEOUT_MS.
   */
  bootstrapTimeoutMs?: number
  /** Serve the HTTP gateway (ciphertext by CID and the decrypting page); off when absent. */
  gateway?: GatewayInit
  /**
   * A long-running node (`veil node start`): never fail because the bootstrap
   * peers are down, slow or not Veil nodes; keep joining in the background
   * with backoff (see BootstrapKeeper). Default false: start() rejects when
   * it cannot join within bootstrapTimeoutMs.
   */
  keepJoining?: boolean
  /**
   * NAT traversal (relay server, reservation through a relay, AutoNAT v2,
   * DCUtR, UPnP; see nat.ts). In a private swarm a relay never limits the
   * connections it relays: every connected peer holds the swarm key.
   */
  nat?: NatInit
  /** Addresses to tell peers instead of the listen addresses, e.g. a port forward's public address. */
  announceAddresses?: string[]
  /** A libp2p metrics implementation (the Prometheus exporter); default: only refused connections are counted. */
  libp2pMetrics?: (components: any) => Metrics
  /** Mutable links: record validity, republishing, what a storage node keeps for others. */
  names?: NameServiceInit
}

export interface NodeShareOptions extends Omit<ImportOptions, 'onProgress'> {
  /** Sealing progress (`veil:import:*`) and placement progress (`veil:share:place:*`). */
  onProgress?: (event: ImportProgressEvents | PlacementProgressEvents) => void
  /** Copies to place on storage nodes. Default 3; 0 places none. */
  replicas?: number
  /**
   * Upload each unit once, to the first of a chain of the storage nodes that
   * take it, which forward it along (chain replication); what the chain
   * does not place is pushed directly. Default true; false pushes every
   * copy directly.
   */
  chain?: boolean
  /**
   * Keep the blocks here and announce this node as a holder (default). A
   * light client passes false: once every unit has `replicas` copies on
   * storage nodes, its local blocks are removed.
   */
  keepLocal?: boolean
}

export interface NodeShareResult extends ShareResult {
  link: string
  /** Copies wanted, and the fewest copies any unit of the share got (storage nodes). */
  replicasWanted: number
  replicas: number
  /** Every copy placed is kept at least until then (ms since the epoch); undefined when some unit has none. */
  keptUntil?: number
  /** Units (roots, segments) the share is made of. */
  units: number
  /** Why some placements failed (quota, unreachable, …). */
  placementFailures: string[]
  /** Units this node announced as their holder, and how many announcements failed. */
  announced: number
  announceFailures: number
  /** The local copy was removed (light client, every unit fully placed). */
  removedLocal: boolean
  /** The storage nodes that took the share's root (this node's own copy not included). */
  rootHolders: PeerId[]
}

export interface NodeStatus {
  peerId: string
  addresses: string[]
  /** The private swarm's public id, absent on the public network. */
  swarmId?: string
  peers: number
  dhtPeers: number
  /** Units this node announces as their holder. */
  announced: number
  refusedConnections: number
  store: { blocks: number, bytes: number }
  /** Present on storage nodes: capacity, usage, units, pins, repair backlog. */
  storage?: StorageStatus
}

export interface NodeGetOptions extends Omit<ExportOptions, 'output'>, AbortOptions {
  output: ExportOptions['output']
  /** Blocks in flight (default from init.fetch.window). */
  window?: number
}

export interface NodeGetResult extends ExportResult {
  blocksFetched: number
  bytesFetched: number
  /** Blocks per holder. */
  perPeer: Map<string, number>
  banned: string[]
}

