import type { AbortOptions, ComponentLogger, Logger, PeerId, Startable } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { BlockSource, LevelBlockStore } from '../blockstore/index.js'
import { decodeUnitNode } from '../format/index.js'
import { UnitIndex } from './unit-index.js'
import { SerialQueue } from './serial-queue.js'
import { StorageAcceptor, type AcceptFrom } from './acceptor.js'
import { PeerUsage } from './peer-usage.js'
import { InvalidOptionError } from '../errors.js'
import { Maintenance, type MaintenanceNetwork, type RepairResult, type ScrubResult } from './maintenance.js'
import { Collector } from './collection.js'
import { nextHardExpiry, type GcResult } from './eviction.js'
import { copyShare } from './copy-share.js'
import { shareUnits } from './share-units.js'
import {
  DEFAULT_LEASE_MS, DEFAULT_PER_PEER_SHARE, GC_INTERVAL_MS, HIGH_WATERMARK, LOOKUP_TIMEOUT_MS, LOW_WATERMARK, ORPHAN_GRACE_MS,
  PROVISIONAL_LEASE_MS, REPAIR_INTERVAL_MS, REPLICAS, SCRUB_INTERVAL_MS
} from './constants.js'

export interface StorageInit {
  /** Bytes given to the swarm. */
  capacity: number
  /** Copies every unit should have. Default 3. */
  replicas?: number
  /** The lease a pushed unit gets (and the longest a pusher may ask for). Default 30 days. */
  leaseMs?: number
  /** Usage fraction past which expired units are collected. Default 0.9. */
  highWatermark?: number
  /** Usage fraction collection brings it back to. Default 0.8. */
  lowWatermark?: number
  /** Default 1 h. */
  repairIntervalMs?: number
  /** Default 24 h. */
  scrubIntervalMs?: number
  /** Default 1 h. */
  gcIntervalMs?: number
  /**
   * A push with no PUT under way for this long has failed, and its blocks go;
   * raw blocks no unit lists (a crash mid-push) are kept this long. Default 10 min.
   */
  orphanGraceMs?: number
  /** Liveness look-up deadline during repair. Default 10 s. */
  lookupTimeoutMs?: number
  /**
   * Bytes one pusher may use. Default: a tenth of the capacity on the public
   * network, half of it in a private swarm (whose members hold its key).
   */
  perPeer?: number
  /** Who may push: 'any' (default), 'swarm' (members of this node's private swarm), or a list of peer ids. */
  acceptFrom?: AcceptFrom
  /** The lease of a segment or index node no share root was shown to list yet. Default 1 day. */
  provisionalLeaseMs?: number
}

export interface StorageComponents {
  store: LevelBlockStore
  self: PeerId
  /** This node runs in a private swarm. */
  inSwarm?: boolean
  /** Read a manifest node: this node's store, else `from`, else the swarm. Default: the store only. */
  readNode?: (cid: CID, from: PeerId, options: AbortOptions) => Promise<Uint8Array>
  network: MaintenanceNetwork
  fetcher: () => BlockSource
  announce: (unit: CID) => Promise<boolean>
  forget: (unit: CID) => void
  logger: ComponentLogger
}

export interface StorageStatus {
  capacity: number
  used: number
  blocks: number
  units: number
  segments: number
  pinnedShares: number
  /** Units held whose lease has ended (kept while there is room). */
  expiredUnits: number
  /** Bytes one pusher may use, and the pushers using the most (top 10). */
  perPeer: number
  topPeers: Array<{ peer: string, bytes: number }>
  /** Units found under-replicated in the last repair pass and not brought back to R. */
  repairBacklog: number
  /** The last pass of each kind, or null when none has run since the node started. */
  lastRepair: (RepairResult & { at: number }) | null
  lastScrub: (ScrubResult & { at: number }) | null
  lastGc: (GcResult & { at: number }) | null
}

type PassStatus = Pick<StorageStatus, 'repairBacklog' | 'lastRepair' | 'lastScrub' | 'lastGc'>

/**
 * A storage node's duties: take pushes within its capacity (durably, with a
 * lease), announce what it holds, and keep it healthy — repair, scrub and
 * collection run on timers (short ones in tests) and can be run on demand;
 * each pass ends with a `repair`, `scrub` or `gc` event carrying its result,
 * and the deletion of what a failed push left with an `orphans` event.
 */
export class StorageService extends EventTarget implements Startable {
  readonly acceptor: StorageAcceptor
  readonly maintenance: Maintenance
  readonly collector: Collector
  readonly index: UnitIndex
  readonly replicas: number
  readonly leaseMs: number
  readonly usage = new PeerUsage()
  readonly perPeer: number
  readonly capacity: number
  private readonly intervals: { repair: number, scrub: number, gc: number }
  private readonly store: LevelBlockStore
  private readonly announce: (unit: CID) => Promise<boolean>
  private readonly log: Logger
  private readonly queue = new SerialQueue()
  private readonly timers: Array<ReturnType<typeof setInterval>> = []
  /** Fires at the next hard expiry of a unit held, to delete it then. */
  private expiryTimer: ReturnType<typeof setTimeout> | undefined
  private expiryAt = Infinity
  private readonly running = new Set<Promise<unknown>>()
  private stopping = new AbortController()
  private started = false
  private readonly passes: PassStatus = { repairBacklog: 0, lastRepair: null, lastScrub: null, lastGc: null }

  constructor (components: StorageComponents, init: StorageInit) {
    super()
    const { store, forget } = components
    const log = components.logger.forComponent('veil:storage')
    this.store = store
    this.announce = components.announce
    this.log = log
    this.capacity = init.capacity
    this.replicas = init.replicas ?? REPLICAS
    this.leaseMs = init.leaseMs ?? DEFAULT_LEASE_MS
    this.intervals = { repair: init.repairIntervalMs ?? REPAIR_INTERVAL_MS, scrub: init.scrubIntervalMs ?? SCRUB_INTERVAL_MS, gc: init.gcIntervalMs ?? GC_INTERVAL_MS }
    this.index = new UnitIndex(store)
    this.maintenance = new Maintenance({
      store,
      self: components.self,
      network: components.network,
      fetcher: components.fetcher,
      announce: components.announce,
      forget,
      log,
      index: this.index,
      queue: this.queue,
      replicas: this.replicas,
      lookupTimeoutMs: init.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS
    })
    const highWatermark = init.highWatermark ?? HIGH_WATERMARK
    const inSwarm = components.inSwarm ?? false
    if (init.acceptFrom === 'swarm' && !inSwarm) throw new InvalidOptionError('acceptFrom "swarm" needs a private swarm: give the node a swarm key, or accept pushes from "any" or a list of peer ids')
    this.perPeer = init.perPeer ?? Math.floor(init.capacity * (inSwarm ? DEFAULT_PER_PEER_SHARE.swarm : DEFAULT_PER_PEER_SHARE.public))
    this.acceptor = new StorageAcceptor({
      store,
      index: this.index,
      capacity: init.capacity,
      perPeerBytes: this.perPeer,
      acceptFrom: init.acceptFrom ?? 'any',
      inSwarm,
      leaseMs: this.leaseMs,
      provisionalLeaseMs: init.provisionalLeaseMs ?? PROVISIONAL_LEASE_MS,
      usage: this.usage,
      readNode: components.readNode ?? (async (cid, _from, options) => await store.get(cid, options)),
      queue: this.queue,
      highWatermark,
      onUnitHeld: unit => { this.background(components.announce(unit)) },
      onPressure: () => { this.background(this.collect()) },
      onExpiry: at => { this.scheduleExpiry(at) },
      forget,
      onOrphansDeleted: removed => { this.dispatchEvent(new CustomEvent('orphans', { detail: removed })) },
      log
    })
    this.collector = new Collector({
      store,
      index: this.index,
      queue: this.queue,
      acceptor: this.acceptor,
      forget,
      usage: this.usage,
      capacity: init.capacity,
      highWatermark,
      lowWatermark: Math.min(highWatermark, init.lowWatermark ?? LOW_WATERMARK),
      orphanGraceMs: init.orphanGraceMs ?? ORPHAN_GRACE_MS,
      log
    })
  }

  readonly [Symbol.toStringTag] = 'veil:storage'

  /** Announce everything held (records do not survive a restart) and start the timers. */
  async start (): Promise<void> {
    this.stopping = new AbortController()
    await this.usage.load(this.index)
    for await (const { cid } of this.index.all()) this.background(this.announce(cid))
    this.every(this.intervals.repair, async () => { await this.repair() })
    this.every(this.intervals.scrub, async () => { await this.scrub() })
    this.every(this.intervals.gc, async () => { await this.collect() })
    await this.rescheduleExpiry()
    this.started = true
  }

  isStarted (): boolean {
    return this.started
  }

  async stop (): Promise<void> {
    this.stopping.abort()
    for (const timer of this.timers.splice(0)) clearInterval(timer)
    clearTimeout(this.expiryTimer)
    this.expiryTimer = undefined
    this.expiryAt = Infinity
    await Promise.allSettled([...this.running])
    this.started = false
  }

  async repair (): Promise<RepairResult> {
    const result = await this.maintenance.repair({ signal: this.stopping.signal })
    this.passes.lastRepair = { ...result, at: Date.now() }
    this.passes.repairBacklog = result.underReplicated - result.repaired
    this.dispatchEvent(new CustomEvent('repair', { detail: result }))
    return result
  }

  async scrub (): Promise<ScrubResult> {
    const result = await this.maintenance.scrub({ signal: this.stopping.signal })
    this.passes.lastScrub = { ...result, at: Date.now() }
    this.dispatchEvent(new CustomEvent('scrub', { detail: result }))
    return result
  }

  async collect (now = Date.now()): Promise<GcResult> {
    const result = await this.collector.collect(now, { signal: this.stopping.signal })
    this.passes.lastGc = { ...result, at: Date.now() }
    if (!this.stopping.signal.aborted) await this.rescheduleExpiry(true)
    this.dispatchEvent(new CustomEvent('gc', { detail: result }))
    if (result.expired > 0) this.dispatchEvent(new CustomEvent('expired', { detail: result }))
    return result
  }

  /**
   * Collect at `at` (a hard expiry), unless a collection is due sooner
   * already: a share made to expire is deleted within moments of its expiry,
   * not at the next hourly pass.
   */
  private scheduleExpiry (at: number): void {
    if (this.stopping.signal.aborted || at >= this.expiryAt) return
    clearTimeout(this.expiryTimer)
    this.expiryAt = at
    // setTimeout takes at most ~24.8 days; a later expiry is looked at again then.
    const delay = Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1)
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = undefined
      this.expiryAt = Infinity
      this.background(this.collect())
    }, delay)
    this.expiryTimer.unref()
  }

  /** Schedule the next hard expiry; right after a collection, one it could not delete is tried again a second later, not in a loop. */
  private async rescheduleExpiry (afterCollection = false): Promise<void> {
    const next = await nextHardExpiry(this.index)
    if (next !== undefined) this.scheduleExpiry(afterCollection ? Math.max(next, Date.now() + 1_000) : next)
  }

  /**
   * Pin a share: copy every unit from the swarm (verify-only capability is
   * enough), then mark each pinned — pinned units are never collected — and
   * announce them. Pinning twice is a no-op.
   */
  async pin (root: CID, source: BlockSource, options: AbortOptions & { given?: boolean, onBlock?: (bytes: number) => void } = {}): Promise<{ units: number }> {
    const units: CID[] = []
    await copyShare(root, source, this.store, { ...options, sync: true, onUnit: unit => { units.push(unit.cid) } })
    await this.queue.run(async () => {
      if (await this.index.isPinned(root)) return
      const now = Date.now()
      const ops = [this.index.pinOp(root, true, options.given)]
      for (const unit of units) {
        const node = decodeUnitNode(await this.store.get(unit))
        ops.push(...await this.index.holdOps(unit, node, now + this.leaseMs, now))
      }
      await this.store.putMany([], { extraOps: ops, sync: true })
      // Count the pin on each unit (after the records exist).
      const pinOps = []
      for (const unit of units) {
        const record = await this.index.get(unit)
        if (record !== undefined) pinOps.push(this.index.putRecord(unit, { ...record, pins: record.pins + 1, leaseUntil: Math.max(record.leaseUntil, now + this.leaseMs) }))
      }
      await this.store.putMany([], { extraOps: pinOps, sync: true })
    })
    for (const unit of units) this.background(this.announce(unit))
    return { units: units.length }
  }

  /**
   * Hold a unit already in this node's store (this node shared it): index it
   * with a fresh lease, as if it had been pushed, and announce it; a share
   * made to expire gets its hard expiry. Resolves with the time it is kept
   * until.
   */
  async adopt (unit: CID, expires?: number): Promise<number> {
    const keptUntil = await this.queue.run(async () => {
      const now = Date.now()
      const node = decodeUnitNode(await this.store.get(unit))
      await this.store.putMany([], { extraOps: await this.index.holdOps(unit, node, now + this.leaseMs, now, { expires }), sync: true })
      return (await this.index.get(unit))?.leaseUntil ?? now + this.leaseMs
    })
    if (expires !== undefined) this.scheduleExpiry(expires)
    this.background(this.announce(unit))
    return keptUntil
  }

  /** Unpin a share: its units keep their lease, then may be collected. */
  async unpin (root: CID, source: BlockSource, options: AbortOptions = {}): Promise<{ units: number, wasPinned: boolean }> {
    let count = 0
    let wasPinned = false
    await this.queue.run(async () => {
      if (!await this.index.isPinned(root)) return
      wasPinned = true
      const ops = [this.index.pinOp(root, false)]
      for await (const { unit } of shareUnits(root, async (cid, opts) => await this.read(cid, source, opts), options)) {
        const record = await this.index.get(unit)
        if (record === undefined) continue
        ops.push(this.index.putRecord(unit, { ...record, pins: Math.max(0, record.pins - 1) }))
        count++
      }
      await this.store.putMany([], { extraOps: ops, sync: true })
    })
    return { units: count, wasPinned }
  }

  /** Run `work` with no push, collection or pin changing the index meanwhile (`veil gc`). */
  async exclusive<T> (work: () => Promise<T>): Promise<T> {
    return await this.queue.run(work)
  }

  async status (): Promise<StorageStatus> {
    const size = await this.store.size()
    const now = Date.now()
    let units = 0
    let segments = 0
    let expiredUnits = 0
    for await (const { record } of this.index.all()) {
      units++
      if (record.height === 0) segments++
      if (record.pins === 0 && record.leaseUntil <= now) expiredUnits++
    }
    let pinnedShares = 0
    for await (const _ of this.index.pinnedRoots()) pinnedShares++
    return { capacity: this.capacity, used: size.bytes, blocks: size.blocks, units, segments, pinnedShares, expiredUnits, perPeer: this.perPeer, topPeers: this.usage.top(10), ...this.passes }
  }

  /** A block from this node's store, else from `source`. */
  private async read (cid: CID, source: BlockSource, options: AbortOptions = {}): Promise<Uint8Array> {
    try {
      return await this.store.get(cid, options)
    } catch {
      return await source.get(cid, { ...options, segment: cid })
    }
  }

  private every (ms: number, task: () => Promise<void>): void {
    let busy = false
    const timer = setInterval(() => {
      if (busy || this.stopping.signal.aborted) return
      busy = true
      this.background(task().finally(() => { busy = false }))
    }, ms)
    timer.unref()
    this.timers.push(timer)
  }

  private background (work: Promise<unknown>): void {
    const tracked = work.catch((err: unknown) => {
      if (!this.stopping.signal.aborted) this.log.error('storage task failed: %e', err)
    }).finally(() => { this.running.delete(tracked) })
    this.running.add(tracked)
  }
}

export function storageService (init: StorageInit): (components: StorageComponents) => StorageService {
  return (components) => new StorageService(components, init)
}
