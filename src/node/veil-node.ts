import { join } from 'node:path'
import { stat } from 'node:fs/promises'
import { createLibp2p, type Libp2p } from 'libp2p'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { AbortOptions, ComponentLogger, Logger, PeerId, PeerInfo, PrivateKey } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { KadDHT } from '@libp2p/kad-dht'
import type { CID } from 'multiformats/cid'
import { openBlockStore, type BlockStore } from '../blockstore/index.js'
import { BlockExchange, type BlockExchangeInit } from '../protocol/index.js'
import { Announcer, findHolders, type AnnouncerInit } from '../routing/index.js'
import { Fetcher, type FetcherInit } from '../fetch/index.js'
import { copyShare, type CopyShareResult } from '../replication/index.js'
import { importFile, importFolder, type BlockSink, type ImportOptions, type ShareResult } from '../importer/index.js'
import { exportShare, openShare, readFolderListing, type ExportOptions, type ExportResult } from '../exporter/index.js'
import { formatLink, parseShareLink, type ShareLink } from '../link/index.js'
import type { FolderEntry } from '../format/index.js'
import { InputError, SwarmRequiredError } from '../errors.js'
import { loadOrCreateIdentity } from './identity.js'
import { libp2pOptions } from './libp2p-options.js'
import { allowListGater, swarmProtector, type SwarmNetwork } from './guarded-network.js'
import { RefusalCounter } from './refusals.js'
import { blockProtocol, dhtProtocol, swarmId } from '../swarm/index.js'
import { waitFor } from './wait.js'

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
  announce?: AnnouncerInit
  exchange?: Omit<BlockExchangeInit, 'store' | 'protocol'>
  fetch?: FetcherInit & {
    /** Blocks in flight per fetch. Default 16. */
    window?: number
    /** Holders to find per unit before the lookup stops. Default 3. */
    holdersPerUnit?: number
    /** Give up looking for holders of a unit after this long. Default 15 s. */
    lookupTimeoutMs?: number
  }
  /** Wait this long at start for the DHT to know a peer (when bootstrapping). Default 15 s. */
  bootstrapTimeoutMs?: number
}

export interface NodeShareResult extends ShareResult {
  link: string
  /** Discovery keys announced (roots and segments) and how many the DHT accepted. */
  announced: number
  announceFailures: number
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

/**
 * A Veil node: libp2p (TCP, Noise, Yamux, identify, ping, kad-dht on Veil's
 * protocol id) plus Veil's services — the block store, the block exchange,
 * the announcer and the fetch engine. Create, start, use, stop; after stop
 * nothing is left running (no timers, sockets or open stores).
 */
export class VeilNode {
  private readonly log: Logger
  private readonly ownsStore: boolean

  private constructor (
    readonly libp2p: Libp2p<{ dht: KadDHT }>,
    readonly store: BlockStore,
    readonly exchange: BlockExchange,
    readonly announcer: Announcer,
    /** Inbound connections turned away (wrong or missing swarm key, not on the allow-list). */
    readonly refusals: RefusalCounter,
    /** The private swarm's public id, or undefined on the public network. */
    readonly swarmId: string | undefined,
    private readonly init: VeilNodeInit,
    ownsStore: boolean,
    logger: ComponentLogger
  ) {
    this.log = logger.forComponent('veil:node')
    this.ownsStore = ownsStore
  }

  static async create (init: VeilNodeInit = {}): Promise<VeilNode> {
    if (init.requireSwarm === true && init.swarm === undefined) throw new SwarmRequiredError()
    const id = init.swarm === undefined ? undefined : swarmId(init.swarm.key)
    const refusals = new RefusalCounter()
    const privateKey = init.privateKey ?? (init.repo !== undefined ? await loadOrCreateIdentity(init.repo) : await generateKeyPair('Ed25519'))
    const ownsStore = init.store === undefined
    const store = init.store ?? await openBlockStore(init.repo !== undefined ? { path: join(init.repo, 'store') } : {})
    try {
      let exchange: BlockExchange | undefined
      const allowPeers = init.swarm?.allowPeers ?? []
      const options = libp2pOptions({
        privateKey,
        listen: init.listen ?? ['/ip4/127.0.0.1/tcp/0'],
        dhtProtocol: init.dhtProtocol ?? dhtProtocol(id),
        dhtServer: init.dhtServer ?? true,
        connectionProtector: init.swarm === undefined ? undefined : swarmProtector(init.swarm),
        connectionGater: allowPeers.length === 0 ? undefined : allowListGater(allowPeers),
        refusals,
        providerValidityMs: init.providerValidityMs
      }, {
        blocks: (components: ConstructorParameters<typeof BlockExchange>[0]) => {
          exchange = new BlockExchange(components, { ...init.exchange, store, protocol: init.blockProtocol ?? blockProtocol(id) })
          return exchange
        }
      })
      const libp2p = await createLibp2p({ ...options, start: false }) as unknown as Libp2p<{ dht: KadDHT }>
      const logger = libp2p.logger
      refusals.log = logger.forComponent('veil:swarm')
      const announcer = new Announcer(libp2p.services.dht, logger.forComponent('veil:announce'), init.announce)
      return new VeilNode(libp2p, store, exchange!, announcer, refusals, id, init, ownsStore, logger)
    } catch (err) {
      if (ownsStore) await store.close()
      throw err
    }
  }

  get peerId (): PeerId {
    return this.libp2p.peerId
  }

  /** Addresses others can dial, each ending in /p2p/<peer id>. */
  addresses (): Multiaddr[] {
    return this.libp2p.getMultiaddrs()
  }

  async start (options: AbortOptions = {}): Promise<void> {
    await this.libp2p.start()
    if (this.init.dhtServer ?? true) await this.libp2p.services.dht.setMode('server')
    this.announcer.start()
    const bootstrap = this.init.bootstrap ?? []
    if (bootstrap.length > 0) await this.joinSwarm(bootstrap, options)
    this.log('started as %p on %s', this.peerId, this.addresses().map(String).join(', '))
  }

  async stop (): Promise<void> {
    await this.announcer.stop()
    await this.libp2p.stop()
    if (this.ownsStore) await this.store.close()
  }

  /**
   * Dial the bootstrap peers and wait until the DHT knows at least one peer,
   * so the first lookup or announcement does not run against an empty table.
   */
  private async joinSwarm (bootstrap: string[], options: AbortOptions): Promise<void> {
    const results = await Promise.allSettled(bootstrap.map(async addr => await this.libp2p.dial(multiaddr(addr), options)))
    const reached = results.filter(r => r.status === 'fulfilled').length
    if (reached === 0) {
      const reason = results[0]?.status === 'rejected' ? (results[0].reason as Error).message : 'unknown'
      throw new InputError(`could not reach any bootstrap peer (${bootstrap.length} tried; first error: ${reason}): check the addresses and that those nodes are running`)
    }
    // kad-dht's routing table is an event target, though its public type only shows `size`.
    const table = (this.libp2p.services.dht as unknown as { routingTable: EventTarget & { size: number } }).routingTable
    await waitFor(table, ['peer:add'], () => table.size > 0, this.init.bootstrapTimeoutMs ?? 15_000, 'the DHT to learn its first peer', options.signal)
  }

  /** A sink that stores into this node's store and announces each finished unit. */
  private announcingSink (pending: Array<Promise<boolean>>, options: AbortOptions): BlockSink {
    return {
      putMany: async (blocks, opts) => { await this.store.putMany(blocks, opts) },
      segmentDone: async (unit) => {
        // Announce in the background so sealing goes on; share() waits for them all.
        const announced = this.announcer.announce(unit.cid, options)
        pending.push(announced)
      }
    }
  }

  /** Share a file or folder: import it into this node's store, announce it, serve it. */
  async share (path: string, options: ImportOptions = {}): Promise<NodeShareResult> {
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
      throw new InputError(err.code === 'ENOENT' ? `no such file or folder: ${path}` : `cannot read ${path}: ${err.message}`, { cause: err })
    })
    const pending: Array<Promise<boolean>> = []
    const sink = this.announcingSink(pending, options)
    const result = info.isDirectory() ? await importFolder(path, sink, options) : await importFile(path, sink, options)
    const outcomes = await Promise.all(pending)
    const failures = outcomes.filter(ok => !ok).length
    return { ...result, link: formatLink({ cid: result.cid, key: result.key }), announced: outcomes.length, announceFailures: failures }
  }

  /** A fetch engine for one download (its peer bans and stats are its own). */
  fetcher (): Fetcher {
    const fetch = this.init.fetch ?? {}
    const self = this.peerId
    return new Fetcher({
      want: (peer, cids, opts) => this.exchange.want(peer, cids, opts),
      findHolders: (unit, opts) => this.findHolders(unit, { ...opts, enough: fetch.holdersPerUnit, timeoutMs: fetch.lookupTimeoutMs, exclude: peer => peer.equals(self) })
    }, this.libp2p.logger.forComponent('veil:fetch'), this.store, fetch)
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

  /** Fetch a share by link from the swarm and write it out. */
  async get (link: string | ShareLink, options: NodeGetOptions): Promise<NodeGetResult> {
    const fetcher = this.fetcher()
    const result = await exportShare(link, fetcher, { ...options, concurrency: options.window ?? this.init.fetch?.window ?? 16 })
    return { ...result, ...fetcher.stats, banned: [...fetcher.stats.banned] }
  }

  /**
   * Hold a share: copy every block into this node's store from the swarm and
   * announce each unit, so this node serves it too. Needs only the root CID
   * (a verify-only link is enough).
   */
  async hold (root: CID, options: AbortOptions & { sync?: boolean } = {}): Promise<CopyShareResult> {
    const pending: Array<Promise<boolean>> = []
    const result = await copyShare(root, this.fetcher(), this.store, {
      ...options,
      onUnit: unit => { pending.push(this.announcer.announce(unit.cid, options)) }
    })
    await Promise.all(pending)
    return result
  }

  /** List a folder share's entries. */
  async list (link: string | ShareLink, options: AbortOptions = {}): Promise<FolderEntry[]> {
    const fetcher = this.fetcher()
    const share = await openShare(typeof link === 'string' ? parseShareLink(link) : link, fetcher, options)
    return await readFolderListing(share, fetcher, options)
  }
}
