import type { AbortOptions, Logger, PeerId, PeerInfo } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { BlockGetOptions, BlockSource } from '../exporter/source.js'
import type { BlockStore } from '../blockstore/interface.js'
import type { WantResult } from '../protocol/client.js'
import { BlockNotFoundError, ShareNotFoundError } from '../errors.js'
import { RemoteError } from '../protocol/errors.js'
import { ErrorCode } from '../protocol/wire.js'
import { PeerStats } from './peer-stats.js'
import { UnitHolders } from './unit-holders.js'
import { WantBatcher } from './want-batcher.js'
import { setTimeout as pause } from 'node:timers/promises'

/** What the fetcher needs from the network. */
export interface FetchNetwork {
  /** Ask a peer for blocks (verified against their CIDs by the protocol client). */
  want(peer: PeerId, cids: CID[], options?: AbortOptions): AsyncIterable<WantResult>
  /** Holders of a unit, as the DHT finds them, leaving out `exclude`d peers. */
  findHolders(unit: CID, options?: AbortOptions & { exclude?: (peer: PeerId) => boolean }): AsyncIterable<PeerInfo>
}

export interface FetcherInit {
  /** Attempts per block across holders before giving up. Default 8. */
  maxAttempts?: number
  /** Requests in flight to one peer; more wait for a slot. Default 16. */
  maxInFlightPerPeer?: number
  /** Blocks asked of one peer in the same tick share one WANT, up to this many. Default 4. */
  blocksPerRequest?: number
  /** DHT look-ups per unit (another starts, for new holders, when every known one failed). Default 4. */
  maxLookups?: number
  /** A peer that sent a wrong block or broke the protocol. */
  onMisbehaviour?: (peer: PeerId, reason: string) => void
  /**
   * How much to hold a peer's past against it (0: nothing): its cost is
   * multiplied by 1 + penalty, so a peer caught lying in an earlier fetch is
   * asked only when no better holder is free.
   */
  penalty?: (peer: PeerId) => number
}

export interface FetchStats {
  /** Blocks that came from the network (not the local store). */
  blocksFetched: number
  bytesFetched: number
  /** Blocks per peer id. */
  perPeer: Map<string, number>
  /** Peers dropped from this fetch for sending a wrong block or breaking the protocol. */
  banned: Set<string>
}

/** First pause before asking holders that failed a block once more (doubles each round). */
const RETRY_PAUSE_MS = 100

/** Errors after which a peer is not asked again during this fetch. */
const MISBEHAVIOUR = new Set(['BlockHashMismatchError', 'ProtocolViolationError', 'UnsupportedHashError'])

/**
 * The fetch engine: a BlockSource that finds the holders of each unit
 * through the DHT and pulls blocks from all of them in parallel. Each block
 * goes to the holder expected to deliver it soonest; a failure retries it on
 * another holder; a holder that sends a wrong block is dropped for the rest
 * of the fetch and reported. The caller's window (how many `get`s run at
 * once) bounds what is in flight; cancellation stops all network work.
 */
export class Fetcher implements BlockSource {
  readonly stats: FetchStats = { blocksFetched: 0, bytesFetched: 0, perPeer: new Map(), banned: new Set() }
  private readonly holders = new Map<string, UnitHolders>()
  private readonly peers = new PeerStats()
  private readonly maxAttempts: number
  private readonly maxLookups: number
  private readonly maxInFlightPerPeer: number
  private readonly batchers = new Map<string, WantBatcher>()
  /** Gets waiting for a busy peer to free a slot. */
  private slotWaiters: Array<() => void> = []

  constructor (
    private readonly network: FetchNetwork,
    private readonly log: Logger,
    private readonly local?: BlockStore,
    private readonly init: FetcherInit = {}
  ) {
    this.maxAttempts = init.maxAttempts ?? 8
    this.maxLookups = init.maxLookups ?? 4
    this.maxInFlightPerPeer = init.maxInFlightPerPeer ?? 16
  }

  async get (cid: CID, options: BlockGetOptions = {}): Promise<Uint8Array> {
    const local = await this.fromLocal(cid)
    if (local !== undefined) return local

    const unit = options.segment ?? cid
    const holders = this.holdersOf(unit, options)
    const tried = new Set<string>()
    /** Tried peers that failed in a way that may pass (a timeout, a reset, a refused dial). */
    const failed = new Set<string>()
    let lacking = 0
    let retryRounds = 0
    for (let attempt = 0; attempt < this.maxAttempts;) {
      options.signal?.throwIfAborted()
      const { peer, busy } = this.pick(holders, tried)
      if (peer === undefined) {
        if (busy) {
          await this.slotFreed(options.signal)
          continue
        }
        if (holders.searching) {
          await holders.changed(options.signal)
          continue
        }
        if (holders.lookups < this.maxLookups && tried.size > 0) {
          holders.search() // every known holder failed: look again, new holders may have appeared
          continue
        }
        if (failed.size > 0) {
          // No one new: give the holders that failed (not the ones that lack
          // the block or lied) another chance, after a pause that grows.
          await pause(RETRY_PAUSE_MS * 2 ** retryRounds++, undefined, { signal: options.signal })
          for (const key of failed) tried.delete(key)
          failed.clear()
          continue
        }
        break
      }
      attempt++
      const key = peer.toString()
      tried.add(key)
      const bytes = await this.fetchFrom(peer, cid, options)
      if (bytes === 'missing') { lacking++; continue }
      if (bytes === 'busy') { tried.delete(key); attempt--; continue }
      if (bytes !== undefined) return bytes
      if (!this.stats.banned.has(key)) failed.add(key)
    }

    if (holders.peers.length === 0) {
      throw new ShareNotFoundError(`no peer in the swarm holds ${unit.equals(cid) ? 'share' : 'the part of the share with block'} ${cid.toString()}: check the link, or ask the sharer to share it again or keep a node holding it online`)
    }
    throw new BlockNotFoundError(`block ${cid.toString()} could not be fetched from any of the ${holders.peers.length} holders found (${lacking} do not have it, the others failed): try again later`)
  }

  /**
   * Fetch one block from one peer: the bytes; 'missing' when the peer lacks
   * it; 'busy' when it asked us to slow down; undefined after a failure.
   */
  private async fetchFrom (peer: PeerId, cid: CID, options: AbortOptions): Promise<Uint8Array | 'missing' | 'busy' | undefined> {
    const started = performance.now()
    this.peers.begin(peer)
    try {
      const bytes = await this.batcher(peer).request(cid, options)
      if (bytes === undefined) {
        this.peers.failed(peer)
        return 'missing'
      }
      this.peers.succeeded(peer, bytes.length, performance.now() - started)
      this.record(peer, bytes.length)
      return bytes
    } catch (err) {
      if (options.signal?.aborted === true) { this.peers.failed(peer); throw err }
      const name = (err as Error).name
      if (err instanceof RemoteError && err.wireCode === ErrorCode.Limit) {
        this.peers.busy(peer)
        return 'busy'
      }
      this.peers.failed(peer)
      if (MISBEHAVIOUR.has(name)) {
        this.stats.banned.add(peer.toString())
        this.log.error('dropping %p from this fetch: %s', peer, name)
        this.init.onMisbehaviour?.(peer, name)
      } else {
        this.log('block %c from %p failed: %e', cid, peer, err)
      }
      return undefined
    } finally {
      this.wakeSlotWaiters()
    }
  }

  private batcher (peer: PeerId): WantBatcher {
    const key = peer.toString()
    let batcher = this.batchers.get(key)
    if (batcher === undefined) {
      batcher = new WantBatcher(peer, (p, cids, opts) => this.network.want(p, cids, opts), this.init.blocksPerRequest ?? 4)
      this.batchers.set(key, batcher)
    }
    return batcher
  }

  /** Wait until a request to some peer ends, or a new holder appears. */
  private async slotFreed (signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { reject(signal?.reason) }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.slotWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      })
    })
  }

  private wakeSlotWaiters (): void {
    const waiters = this.slotWaiters
    this.slotWaiters = []
    for (const wake of waiters) wake()
  }

  private async fromLocal (cid: CID): Promise<Uint8Array | undefined> {
    if (this.local === undefined) return undefined
    try {
      // has() first: a miss is the common case and costs no thrown error.
      return await this.local.has(cid) ? await this.local.get(cid) : undefined
    } catch {
      return undefined // absent or corrupt here: fetch it from the network
    }
  }

  private holdersOf (unit: CID, options: AbortOptions): UnitHolders {
    const key = unit.toString()
    let holders = this.holders.get(key)
    if (holders === undefined) {
      holders = new UnitHolders(
        known => this.network.findHolders(unit, { signal: options.signal, exclude: peer => known.has(peer.toString()) }),
        () => { this.wakeSlotWaiters() }
      )
      this.holders.set(key, holders)
      holders.search()
    }
    return holders
  }

  /**
   * The untried, unbanned holder with a free slot expected to deliver
   * soonest; `busy` when holders are left but all their slots are taken.
   */
  private pick (holders: UnitHolders, tried: Set<string>): { peer?: PeerId, busy: boolean } {
    let best: PeerId | undefined
    let bestCost = Infinity
    let busy = false
    for (const peer of holders.peers) {
      const key = peer.toString()
      if (tried.has(key) || this.stats.banned.has(key)) continue
      if (this.peers.inFlight(peer) >= this.maxInFlightPerPeer) { busy = true; continue }
      const cost = this.peers.cost(peer) * (1 + (this.init.penalty?.(peer) ?? 0))
      if (cost < bestCost) { best = peer; bestCost = cost }
    }
    return best === undefined ? { busy } : { peer: best, busy }
  }

  private record (peer: PeerId, bytes: number): void {
    this.stats.blocksFetched++
    this.stats.bytesFetched += bytes
    const key = peer.toString()
    this.stats.perPeer.set(key, (this.stats.perPeer.get(key) ?? 0) + 1)
  }
}
