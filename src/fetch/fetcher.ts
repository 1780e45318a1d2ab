import type { AbortOptions, ComponentLogger, Logger, PeerId, PeerInfo } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { BlockGetOptions, BlockSource, BlockStore } from '../blockstore/index.js'
import { isBusyError, type WantResult } from '../protocol/index.js'
import { BlockNotFoundError, ShareNotFoundError } from '../errors.js'
import { PeerStats } from './peer-stats.js'
import { UnitHolders } from './unit-holders.js'
import { WantBatcher } from './want-batcher.js'
import { setTimeout as pause } from 'node:timers/promises'
import { BLOCKS_PER_REQUEST, EMPTY_LOOKUP_PAUSE_MS, FREE_BUSY_ANSWERS, MAX_ATTEMPTS, MAX_IN_FLIGHT_PER_PEER, MAX_LOOKUPS, RETRY_PAUSE_MS } from './constants.js'

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
  /** Blocks asked of one peer in the same tick share one WANT, up to this many. Default 8. */
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

export interface FetcherComponents {
  network: FetchNetwork
  /** Blocks already here are read from this store, not fetched. */
  store?: BlockStore
  logger: ComponentLogger
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

/** Errors after which a peer is not asked again during this fetch. */
const MISBEHAVIOUR = new Set(['BlockHashMismatchError', 'ProtocolViolationError', 'UnsupportedHashError'])

/** How asking one peer for one block ended. */
type FetchOutcome =
  | { kind: 'block', bytes: Uint8Array }
  /** The peer does not hold it. */
  | { kind: 'missing' }
  /** The peer asked us to slow down: it backs off (see PeerStats), and is asked again later. */
  | { kind: 'busy' }
  /** An error; a peer that misbehaved is banned from the rest of the fetch. */
  | { kind: 'failed', banned: boolean }

/** What to do next for one block. */
type Step =
  | { kind: 'ask', peer: PeerId }
  /** Every usable holder is saturated or backing off: wait for a slot, or until `ms` (a back-off ends). */
  | { kind: 'wait', ms: number }
  | { kind: 'await-holders' }
  | { kind: 'search' }
  /** No holder found at all: a young node's DHT may not reach the holders yet; look again after `ms`. */
  | { kind: 'search-later', ms: number }
  /** Only holders that failed transiently are left: pause, then give them another chance. */
  | { kind: 'retry-failed' }
  | { kind: 'give-up' }

/** One block's fetch so far. */
interface BlockFetch {
  attempts: number
  tried: Set<string>
  /** Tried peers that failed in a way that may pass (a timeout, a reset, a refused dial). */
  failed: Set<string>
  lacking: number
  busyAnswers: number
  retryRounds: number
}

/**
 * The fetch engine: a BlockSource that finds the holders of each unit
 * through the DHT and pulls blocks from all of them in parallel. Each block
 * goes to the holder expected to deliver it soonest; a failure retries it on
 * another holder; a holder that sends a wrong block is dropped for the rest
 * of the fetch and reported; a holder that answers busy backs off, and after
 * a few busy answers each one costs an attempt. The caller's window (how
 * many `get`s run at once) bounds what is in flight; cancellation stops all
 * network work.
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

  private readonly blocksPerRequest: number
  private readonly network: FetchNetwork
  private readonly local: BlockStore | undefined
  private readonly log: Logger

  constructor (components: FetcherComponents, private readonly init: FetcherInit = {}) {
    this.network = components.network
    this.local = components.store
    this.log = components.logger.forComponent('veil:fetch')
    this.maxAttempts = init.maxAttempts ?? MAX_ATTEMPTS
    this.maxLookups = init.maxLookups ?? MAX_LOOKUPS
    this.maxInFlightPerPeer = init.maxInFlightPerPeer ?? MAX_IN_FLIGHT_PER_PEER
    this.blocksPerRequest = init.blocksPerRequest ?? BLOCKS_PER_REQUEST
  }

  async get (cid: CID, options: BlockGetOptions = {}): Promise<Uint8Array> {
    const local = await this.fromLocal(cid)
    if (local !== undefined) return local

    const unit = options.segment ?? cid
    const holders = this.holdersOf(unit, options)
    const state: BlockFetch = { attempts: 0, tried: new Set(), failed: new Set(), lacking: 0, busyAnswers: 0, retryRounds: 0 }
    for (;;) {
      options.signal?.throwIfAborted()
      const step = this.nextStep(holders, state)
      if (step.kind === 'give-up') break
      switch (step.kind) {
        case 'ask': {
          const key = step.peer.toString()
          state.tried.add(key)
          const outcome = await this.fetchFrom(step.peer, cid, options)
          if (outcome.kind === 'block') return outcome.bytes
          if (outcome.kind === 'busy') {
            state.tried.delete(key) // ask it again once its back-off ends
            if (++state.busyAnswers > FREE_BUSY_ANSWERS) state.attempts++
          } else {
            state.attempts++
            if (outcome.kind === 'missing') state.lacking++
            else if (!outcome.banned) state.failed.add(key)
          }
          break
        }
        case 'wait':
          await this.slotFreed(options.signal, step.ms)
          break
        case 'await-holders':
          await holders.changed(options.signal)
          break
        case 'search':
          holders.search() // every known holder failed: look again, new holders may have appeared
          break
        case 'search-later':
          await pause(step.ms, undefined, { signal: options.signal })
          holders.search()
          break
        case 'retry-failed':
          await pause(RETRY_PAUSE_MS * 2 ** state.retryRounds++, undefined, { signal: options.signal })
          for (const key of state.failed) state.tried.delete(key)
          state.failed.clear()
          break
      }
    }

    if (holders.peers.length === 0) {
      throw new ShareNotFoundError(`no peer in the swarm holds ${unit.equals(cid) ? 'share' : 'the part of the share with block'} ${cid.toString()}: check the link, or ask the sharer to share it again or keep a node holding it online`)
    }
    throw new BlockNotFoundError(`block ${cid.toString()} could not be fetched from any of the ${holders.peers.length} holders found (${state.lacking} do not have it, the others failed or stayed busy): try again later`)
  }

  /** Decide what to do next for a block, from its state and what is known of its holders. */
  private nextStep (holders: UnitHolders, state: BlockFetch): Step {
    if (state.attempts >= this.maxAttempts) return { kind: 'give-up' }
    const choice = this.pick(holders, state.tried)
    if (choice.peer !== undefined) return { kind: 'ask', peer: choice.peer }
    if (choice.waitMs !== undefined) return { kind: 'wait', ms: choice.waitMs }
    if (holders.searching) return { kind: 'await-holders' }
    if (holders.lookups < this.maxLookups && state.tried.size > 0) return { kind: 'search' }
    if (holders.lookups < this.maxLookups && holders.peers.length === 0) return { kind: 'search-later', ms: EMPTY_LOOKUP_PAUSE_MS * 2 ** (holders.lookups - 1) }
    if (state.failed.size > 0) return { kind: 'retry-failed' }
    return { kind: 'give-up' }
  }

  /** Ask one peer for one block. */
  private async fetchFrom (peer: PeerId, cid: CID, options: AbortOptions): Promise<FetchOutcome> {
    const started = performance.now()
    this.peers.begin(peer)
    try {
      const bytes = await this.batcher(peer).request(cid, options)
      if (bytes === undefined) {
        this.peers.failed(peer)
        return { kind: 'missing' }
      }
      this.peers.succeeded(peer, bytes.length, performance.now() - started)
      this.record(peer, bytes.length)
      return { kind: 'block', bytes }
    } catch (err) {
      if (options.signal?.aborted === true) { this.peers.failed(peer); throw err }
      if (isBusyError(err)) {
        this.peers.busy(peer)
        return { kind: 'busy' }
      }
      this.peers.failed(peer)
      const name = (err as Error).name
      if (MISBEHAVIOUR.has(name)) {
        this.stats.banned.add(peer.toString())
        this.log.error('dropping %p from this fetch: %s', peer, name)
        this.init.onMisbehaviour?.(peer, name)
        return { kind: 'failed', banned: true }
      }
      this.log('block %c from %p failed: %e', cid, peer, err)
      return { kind: 'failed', banned: false }
    } finally {
      this.wakeSlotWaiters()
    }
  }

  private batcher (peer: PeerId): WantBatcher {
    const key = peer.toString()
    let batcher = this.batchers.get(key)
    if (batcher === undefined) {
      batcher = new WantBatcher(peer, (p, cids, opts) => this.network.want(p, cids, opts), this.blocksPerRequest)
      this.batchers.set(key, batcher)
    }
    return batcher
  }

  /** Wait until a request to some peer ends, a new holder appears, or `ms` pass (a back-off ends). */
  private async slotFreed (signal?: AbortSignal, ms = Infinity): Promise<void> {
    signal?.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(1, ms)) : undefined
      const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason) }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.slotWaiters.push(done)
      function done (): void {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
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
   * The untried, unbanned holder with a free slot, not backing off, expected
   * to deliver soonest; else, when such holders exist but are all saturated
   * or backing off, how long to wait at most (Infinity: until a slot frees).
   */
  private pick (holders: UnitHolders, tried: Set<string>): { peer?: PeerId, waitMs?: number } {
    let best: PeerId | undefined
    let bestCost = Infinity
    let waitMs: number | undefined
    const now = performance.now()
    for (const peer of holders.peers) {
      const key = peer.toString()
      if (tried.has(key) || this.stats.banned.has(key)) continue
      const backOff = this.peers.busyUntil(peer) - now
      if (backOff > 0) { waitMs = Math.min(waitMs ?? Infinity, backOff); continue }
      if (this.peers.inFlight(peer) >= this.maxInFlightPerPeer) { waitMs ??= Infinity; continue }
      const cost = this.peers.cost(peer) * (1 + (this.init.penalty?.(peer) ?? 0))
      if (cost < bestCost) { best = peer; bestCost = cost }
    }
    return best === undefined ? { waitMs } : { peer: best }
  }

  private record (peer: PeerId, bytes: number): void {
    this.stats.blocksFetched++
    this.stats.bytesFetched += bytes
    const key = peer.toString()
    this.stats.perPeer.set(key, (this.stats.perPeer.get(key) ?? 0) + 1)
  }
}

export function fetcher (init: FetcherInit = {}): (components: FetcherComponents) => Fetcher {
  return (components) => new Fetcher(components, init)
}
