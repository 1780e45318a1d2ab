import type { Libp2p } from 'libp2p'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { AbortOptions, ComponentLogger, Logger, PeerId, PeerInfo } from '@libp2p/interface'

import type { CID } from 'multiformats/cid'
import { LevelBlockStore, type BlockStore } from '../blockstore/index.js'
import type { BlockExchange, BlockVerifier } from '../protocol/index.js'
import { Announcer, findHolders } from '../routing/index.js'
import { Fetcher, type FetchNetwork } from '../fetch/index.js'
import { copyShare, findStoragePeers, knownStoragePeers, ShareKeeper, ShareRecords, StorageService, storageProtocol, type CopyShareResult, type MaintenanceNetwork, type RenewSummary, type RepoGcResult } from '../replication/index.js'
import { exportShare, openShare, poolOpener, readFolderListing, type BlockOpener } from '../exporter/index.js'
import { CryptoPool, openBlock } from '../crypto/index.js'
import { digestMatches, verifyBlock, type FolderEntry } from '../format/index.js'
import { parseLink, parseShareLink, type ShareLink } from '../link/index.js'
import { BlockHashMismatchError } from '../errors.js'
import { routingTableOf } from './libp2p-options.js'
import { FETCH_WINDOW, fetchRefill, MISBEHAVIOUR_PENALTY } from './constants.js'
import type { NodeGetOptions, NodeGetResult, NodeShareOptions, NodeShareResult, NodeStatus, VeilNodeInit, VeilServices } from './types.js'

export type { NodeGetOptions, NodeGetResult, NodeShareOptions, NodeShareResult, NodeStatus, VeilNodeInit, VeilServices } from './types.js'
import type { RefusalCounter } from './refusals.js'
import type { WireGuard } from './wire-guard.js'
import { dhtProtocol } from '../swarm/index.js'
import { joinSwarm } from './join-swarm.js'
import { Gateway } from '../gateway/index.js'
import { BootstrapKeeper, DEFAULT_JOIN_TIMEOUT_MS } from './bootstrap.js'
import { keepAlive } from '../util/index.js'
import type { NodeCounters } from './counters.js'
import { RelayReserver } from './nat.js'
import type { NameService } from '../names/index.js'
import { wireNames } from './name-wiring.js'
import { collectGarbage, pinLink, pinnedShares, renewLink, unpinLink, type PinOptions, type PinResult } from './keeping.js'
import { createNode, type VeilNodeComponents } from './create-node.js'
import { shareFile } from './share-ops.js'

/**
 * A Veil node: libp2p (TCP, Noise, Yamux, identify, ping, kad-dht on Veil's
 * protocol id, the block exchange) plus Veil's services — the block store,
 * the announcer, the fetch engine and, on a storage node, the storage
 * service. Create, start, use, stop; after stop nothing is left running (no
 * timers, sockets or open stores).
 */
export class VeilNode {
  readonly libp2p: Libp2p<VeilServices>
  readonly store: BlockStore
  readonly exchange: BlockExchange
  readonly announcer: Announcer
  /** Inbound connections turned away (wrong or missing swarm key, not on the allow-list). */
  readonly refusals: RefusalCounter
  /** The private swarm's public id, or undefined on the public network. */
  readonly swarmId: string | undefined
  /** Present on storage nodes. */
  readonly storage: StorageService | undefined
  /** Resets connections and streams whose length prefixes never end (see wire-guard.ts). */
  readonly wireGuard: WireGuard
  /** Records the shares this repo makes and renews their leases (on a timer in a daemon). */
  readonly keeper: ShareKeeper
  /** Peers caught sending wrong blocks or breaking the protocol, and how often. */
  readonly misbehaviour = new Map<string, number>()
  private readonly logger: ComponentLogger
  private readonly log: Logger
  private readonly ownsStore: boolean
  /** Worker threads for hashing and decrypting fetched blocks (while started). */
  private cryptoPool: CryptoPool | undefined
  /** The HTTP gateway, when `init.gateway` asks for one (running while the node runs). */
  readonly gateway: Gateway | undefined
  /** Blocks, bytes and pushes moved since start (for metrics). */
  readonly counters: NodeCounters
  /** Behind NAT (init.nat.reserve): holds slots on relays. */
  relayReserver: RelayReserver | undefined
  /** Keeps a long-running node joined (init.keepJoining). */
  bootstrapKeeper: BootstrapKeeper | undefined
  /** Mutable links: publish, resolve, and keep records alive (names/). */
  readonly names: NameService

  private constructor (components: VeilNodeComponents, private readonly init: VeilNodeInit) {
    const { libp2p, store, logger } = components
    this.libp2p = libp2p
    this.store = store
    this.ownsStore = components.ownsStore
    this.refusals = components.refusals
    this.wireGuard = components.wireGuard
    this.counters = components.counters
    this.swarmId = components.swarmId
    this.logger = logger
    this.log = logger.forComponent('veil:node')
    this.exchange = libp2p.services.blocks
    this.announcer = new Announcer({ dht: libp2p.services.dht, logger }, init.announce)
    this.keeper = new ShareKeeper({
      records: store instanceof LevelBlockStore ? new ShareRecords(store) : undefined,
      network: this.placementNetwork(),
      read: async (cid, options) => await this.readUnit(cid, options),
      logger
    }, init.keepShares)
    this.gateway = init.gateway === undefined ? undefined : new Gateway({ store, fetcher: () => this.fetcher(), names: async (name, opts) => await this.names.lookupName(name, opts), logger }, init.gateway)
    if (init.storage !== undefined && store instanceof LevelBlockStore) {
      this.storage = new StorageService({
        store,
        self: libp2p.peerId,
        inSwarm: this.swarmId !== undefined,
        readNode: async (cid, from, opts) => await this.readNodeFrom(cid, from, opts),
        network: this.placementNetwork(),
        fetcher: () => this.fetcher(),
        announce: async unit => await this.announcer.announce(unit),
        forget: unit => { this.announcer.forget(unit) },
        logger
      }, init.storage)
      this.exchange.setAcceptor(this.counters.countingAcceptor(this.storage.acceptor))
    }
    this.names = wireNames({ libp2p, store, repo: init.repo, storage: this.storage, seen: components.seen, findHolders: (unit, opts) => this.findHolders(unit, opts), storagePeers: this.placementNetwork().storagePeers, logger }, init.names)
  }

  /** Assemble a node, not yet started (see create-node.ts). */
  static async create (init: VeilNodeInit = {}): Promise<VeilNode> {
    return await createNode(init, components => new VeilNode(components, init))
  }

  get peerId (): PeerId {
    return this.libp2p.peerId
  }

  /** Addresses others can dial, each ending in /p2p/<peer id>. */
  addresses (): Multiaddr[] {
    return this.libp2p.getMultiaddrs()
  }

  async start (options: AbortOptions = {}): Promise<void> {
    if (this.init.fetchCrypto === 'workers') this.cryptoPool = new CryptoPool({ threads: this.init.cryptoThreads })
    await this.libp2p.start()
    if (this.init.dhtServer ?? true) await this.libp2p.services.dht.setMode('server')
    if (this.storage !== undefined) {
      // Advertised through identify, so sharers can tell storage nodes apart.
      // A marker that carries no data: it may run over a relayed connection with limits.
      await this.libp2p.handle(storageProtocol(this.swarmId), (stream) => { void stream.close() }, { runOnLimitedConnection: true })
    }
    this.announcer.start()
    const bootstrap = this.init.bootstrap ?? []
    const dht = this.init.dhtProtocol ?? dhtProtocol(this.swarmId)
    if (bootstrap.length > 0 && this.init.keepJoining === true) {
      // A long-running node never exits because its bootstrap peers are away: it keeps trying in the background.
      this.bootstrapKeeper = new BootstrapKeeper(this.libp2p, { peers: bootstrap, attemptTimeoutMs: this.init.bootstrapTimeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS, dhtProtocol: dht, log: this.log })
      const first = await this.bootstrapKeeper.start()
      if (!first.joined) this.log('not joined yet: %s', first.lastError)
    } else if (bootstrap.length > 0) {
      await joinSwarm(this.libp2p, bootstrap, this.init.bootstrapTimeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS, { ...options, dhtProtocol: dht })
    }
    if (this.init.nat?.reserve === true) {
      // Reachable only through relays: announce again once reachable, or the records name no address that works.
      this.relayReserver = new RelayReserver(this.libp2p, this.libp2p.logger.forComponent('veil:nat'), 2, () => { void this.announcer.reannounceAll() })
      this.relayReserver.start()
    }
    await this.storage?.start()
    await this.names.start()
    this.keeper.start()
    await this.gateway?.start()
    this.log('started as %p on %s', this.peerId, this.addresses().map(String).join(', '))
  }

  async stop (): Promise<void> {
    await this.gateway?.stop()
    this.relayReserver?.stop()
    await this.bootstrapKeeper?.stop()
    await this.keeper.stop()
    await this.names.stop()
    await this.storage?.stop()
    await this.announcer.stop()
    // libp2p waits on connection closes with AbortSignal.timeout deadlines, which alone do not keep the process alive.
    await keepAlive(this.libp2p.stop())
    await this.cryptoPool?.close()
    this.cryptoPool = undefined
    if (this.ownsStore) await this.store.close()
  }

  /** How this node pushes, proves and finds storage nodes (placement and repair). */
  placementNetwork (): MaintenanceNetwork {
    return {
      storagePeers: async (unit, opts) => await findStoragePeers(this.libp2p, storageProtocol(this.swarmId), unit, opts),
      knownStoragePeers: async () => await knownStoragePeers(this.libp2p, storageProtocol(this.swarmId)),
      push: async (peer, put, opts) => {
        const reply = await this.exchange.push(peer, put, opts)
        this.counters.countPush(put, reply)
        return reply
      },
      prove: async (peer, nonce, cids, opts) => await this.exchange.prove(peer, nonce, cids, opts),
      findHolders: (unit, opts) => this.findHolders(unit, opts)
    }
  }

  /**
   * Share a file or folder: seal it into this node's store while placing each
   * unit on storage nodes; resolves with the link and how many copies it got
   * (see shareFile).
   */
  async share (path: string, options: NodeShareOptions = {}): Promise<NodeShareResult> {
    return await shareFile({ store: this.store, storage: this.storage, self: this.peerId, announcer: this.announcer, keeper: this.keeper, network: this.placementNetwork(), log: this.log, logger: this.logger }, path, options)
  }

  /** A fetch engine for one download (its peer bans and stats are its own). */
  fetcher (): Fetcher {
    const fetch = this.init.fetch ?? {}
    const self = this.peerId
    const verify = this.verifier()
    const network: FetchNetwork = {
      want: (peer, cids, opts) => this.counters.countingWant(this.exchange.want(peer, cids, { ...opts, verify })),
      findHolders: (unit, opts) => this.findHolders(unit, { ...opts, enough: fetch.holdersPerUnit, timeoutMs: fetch.lookupTimeoutMs, exclude: peer => peer.equals(self) || opts?.exclude?.(peer) === true })
    }
    return new Fetcher({ network, store: this.store, logger: this.logger }, {
      ...fetch,
      // Scored down on this node: later fetches ask such a peer last.
      onMisbehaviour: (peer, reason) => {
        this.misbehaviour.set(peer.toString(), (this.misbehaviour.get(peer.toString()) ?? 0) + 1)
        fetch.onMisbehaviour?.(peer, reason)
      },
      penalty: peer => MISBEHAVIOUR_PENALTY * (this.misbehaviour.get(peer.toString()) ?? 0)
    })
  }

  /** Holders of a unit, with their addresses remembered so they can be dialled. */
  async * findHolders (unit: CID, options: Parameters<typeof findHolders>[2] = {}): AsyncGenerator<PeerInfo> {
    for await (const holder of findHolders(this.libp2p.services.dht, unit, options)) {
      if (holder.multiaddrs.length > 0) {
        await this.libp2p.peerStore.merge(holder.id, { multiaddrs: holder.multiaddrs }).catch(() => {})
      }
      yield holder
    }
  }

  /**
   * How received blocks are checked against their CIDs: inline, or on the
   * worker pool when `fetchCrypto` is 'workers' (see its note).
   */
  private verifier (): BlockVerifier {
    const pool = this.cryptoPool
    if (pool === undefined) {
      return async (cid, bytes) => {
        verifyBlock(cid, bytes)
        return bytes
      }
    }
    return async (cid, bytes) => {
      const { bytes: back, digest } = await pool.hash(bytes)
      if (!digestMatches(cid, digest)) throw new BlockHashMismatchError(`block bytes do not match their CID ${cid.toString()}: the peer sent altered data`)
      return back
    }
  }

  /** Fetch a share by link from the swarm and write it out. */
  async get (link: string | ShareLink, options: NodeGetOptions): Promise<NodeGetResult> {
    const fetcher = this.fetcher()
    const opener: BlockOpener = this.cryptoPool === undefined
      ? async (share, ref, sealed) => openBlock(share.blockKey, ref.index, ref.last, sealed)
      : poolOpener(this.cryptoPool)
    const window = options.window ?? this.init.fetch?.window ?? FETCH_WINDOW
    // Half the window asked for at once: those blocks share WANTs (see fetchRefill).
    const result = await exportShare(link, fetcher, { opener, logger: this.logger, ...options, concurrency: window, refill: fetchRefill(window) })
    return { ...result, ...fetcher.stats, banned: [...fetcher.stats.banned] }
  }

  /**
   * Hold a share: copy every block into this node's store from the swarm and
   * announce each unit, so this node serves it too. Needs only the root CID
   * (a verify-only link is enough).
   */
  async hold (root: CID, options: AbortOptions & { sync?: boolean, onBlock?: (bytes: number) => void } = {}): Promise<CopyShareResult> {
    const pending: Array<Promise<unknown>> = []
    const storage = this.storage
    const result = await copyShare(root, this.fetcher(), this.store, {
      ...options,
      sync: options.sync ?? storage !== undefined,
      // A storage node indexes what it holds, or collection would take it for orphans.
      onUnit: unit => { pending.push(storage !== undefined ? storage.adopt(unit.cid) : this.announcer.announce(unit.cid, options)) }
    })
    await Promise.all(pending)
    return result
  }

  /** Pin every share a link reaches (see pinLink). */
  async pin (link: { cid: CID, key?: Uint8Array }, options: PinOptions = {}): Promise<PinResult> {
    return await pinLink(this, link, options)
  }

  /** Unpin every share a link reaches; NotPinnedError when none was pinned here. */
  async unpin (link: { cid: CID, key?: Uint8Array }, options: AbortOptions = {}): Promise<{ shares: number, units: number }> {
    return await unpinLink(this, link, options)
  }

  /** The shares pinned on this node by their own link. */
  async pins (): Promise<CID[]> {
    return await pinnedShares(this)
  }

  /** Remove from the store every block nothing keeps (see collectRepo). */
  async collectGarbage (options: AbortOptions = {}): Promise<RepoGcResult> {
    return await collectGarbage(this, options)
  }

  /** What this node is and holds. */
  async status (): Promise<NodeStatus> {
    const size = await this.store.size()
    return {
      peerId: this.peerId.toString(),
      addresses: this.addresses().map(String),
      swarmId: this.swarmId,
      peers: this.libp2p.getPeers().length,
      dhtPeers: routingTableOf(this.libp2p.services.dht)?.size ?? 0,
      announced: this.announcer.size,
      refusedConnections: this.refusals.total,
      store: size,
      storage: await this.storage?.status()
    }
  }

  /** Renew a share's leases, or (no link) every share this repo made (see renewLink). */
  async renew (link?: string | { cid: CID, key?: Uint8Array }, options: AbortOptions = {}): Promise<Array<RenewSummary & { root: CID }>> {
    return await renewLink(this, typeof link === 'string' ? parseLink(link) : link, options)
  }

  /**
   * A manifest node, to check a pushed unit's path: from this node's store,
   * else from `from` (the pusher holds the share it pushes), else the swarm.
   * Verified against its CID.
   */
  async readNodeFrom (cid: CID, from: PeerId, options: AbortOptions = {}): Promise<Uint8Array> {
    if (await this.store.has(cid, options)) return await this.store.get(cid, options)
    try {
      for await (const result of this.exchange.want(from, [cid], options)) if (result.bytes !== undefined) return result.bytes
    } catch (err) {
      if (options.signal?.aborted === true) throw err
    }
    return await this.fetcher().get(cid, { ...options, segment: cid })
  }

  /** A unit node from this node's store, else from the swarm. */
  async readUnit (cid: CID, options: AbortOptions = {}): Promise<Uint8Array> {
    if (await this.store.has(cid, options)) return await this.store.get(cid, options)
    return await this.fetcher().get(cid, { ...options, segment: cid })
  }

  /** List a folder share's entries. */
  async list (link: string | ShareLink, options: AbortOptions = {}): Promise<FolderEntry[]> {
    const fetcher = this.fetcher()
    const share = await openShare(typeof link === 'string' ? parseShareLink(link) : link, fetcher, { logger: this.logger, ...options })
    return await readFolderListing(share, fetcher, { logger: this.logger, ...options })
  }
}
