import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { LevelBlockStore } from '../blockstore/index.js'
import type { BlockSource } from '../exporter/source.js'
import { decodeUnitNode } from '../format/nodes.js'
import { UnitIndex } from './unit-index.js'
import { SerialQueue } from './serial-queue.js'
import { StorageAcceptor } from './acceptor.js'
import { Maintenance, type GcResult, type MaintenanceNetwork, type RepairResult, type ScrubResult } from './maintenance.js'
import { copyShare } from './copy-share.js'

export interface StorageInit {
  /** Bytes given to the swarm. */
  capacity: number
  /** Copies every unit should have. Default 3. */
  replicas?: number
  /** A pushed unit is kept this long without renewal. Default 30 days. */
  leaseMs?: number
  /** Usage fraction past which collection runs at once. Default 0.9. */
  highWatermark?: number
  /** Default 1 h. */
  repairIntervalMs?: number
  /** Default 24 h. */
  scrubIntervalMs?: number
  /** Default 1 h. */
  gcIntervalMs?: number
  /** Unlisted raw blocks are kept this long before collection. Default 1 h. */
  orphanGraceMs?: number
  /** Liveness look-up deadline during repair. Default 10 s. */
  lookupTimeoutMs?: number
}

export interface StorageDeps {
  store: LevelBlockStore
  self: PeerId
  network: MaintenanceNetwork
  fetcher: () => BlockSource
  announce: (unit: CID) => Promise<boolean>
  forget: (unit: CID) => void
  log: Logger
}

export interface StorageStatus {
  capacity: number
  used: number
  blocks: number
  units: number
  segments: number
  pinnedShares: number
  /** Units found under-replicated in the last repair pass and not yet fixed. */
  repairBacklog: number
  lastRepair?: RepairResult & { at: number }
  lastScrub?: ScrubResult & { at: number }
  lastGc?: GcResult & { at: number }
}

/**
 * A storage node's duties: take pushes within its capacity (durably, with a
 * lease), announce what it holds, and keep it healthy — repair, scrub and
 * collection run on timers (short ones in tests) and can be run on demand;
 * each pass ends with a `repair`, `scrub` or `gc` event carrying its result.
 */
export class StorageService extends EventTarget {
  readonly acceptor: StorageAcceptor
  readonly maintenance: Maintenance
  readonly index: UnitIndex
  readonly replicas: number
  private readonly queue = new SerialQueue()
  private readonly timers: Array<ReturnType<typeof setInterval>> = []
  private readonly running = new Set<Promise<unknown>>()
  private stopping = new AbortController()
  private readonly status_: Omit<StorageStatus, 'capacity' | 'used' | 'blocks' | 'units' | 'segments' | 'pinnedShares'> = { repairBacklog: 0 }
  private readonly leaseMs: number

  constructor (private readonly init: StorageInit, private readonly deps: StorageDeps) {
    super()
    this.replicas = init.replicas ?? 3
    this.leaseMs = init.leaseMs ?? 30 * 24 * 60 * 60 * 1000
    this.index = new UnitIndex(deps.store)
    this.maintenance = new Maintenance({
      ...deps,
      index: this.index,
      queue: this.queue,
      replicas: this.replicas,
      orphanGraceMs: init.orphanGraceMs ?? 60 * 60 * 1000,
      lookupTimeoutMs: init.lookupTimeoutMs ?? 10_000
    })
    this.acceptor = new StorageAcceptor({
      store: deps.store,
      index: this.index,
      capacity: init.capacity,
      leaseMs: this.leaseMs,
      queue: this.queue,
      highWatermark: init.highWatermark ?? 0.9,
      onUnitHeld: unit => { this.background(deps.announce(unit)) },
      onPressure: () => { this.background(this.collect()) },
      log: deps.log
    })
  }

  /** Announce everything held (records do not survive a restart) and start the timers. */
  async start (): Promise<void> {
    this.stopping = new AbortController()
    for await (const { cid } of this.index.all()) this.background(this.deps.announce(cid))
    this.every(this.init.repairIntervalMs ?? 60 * 60 * 1000, async () => { await this.repair() })
    this.every(this.init.scrubIntervalMs ?? 24 * 60 * 60 * 1000, async () => { await this.scrub() })
    this.every(this.init.gcIntervalMs ?? 60 * 60 * 1000, async () => { await this.collect() })
  }

  async stop (): Promise<void> {
    this.stopping.abort()
    for (const timer of this.timers.splice(0)) clearInterval(timer)
    await Promise.allSettled([...this.running])
  }

  async repair (): Promise<RepairResult> {
    const result = await this.maintenance.repair({ signal: this.stopping.signal })
    this.status_.lastRepair = { ...result, at: Date.now() }
    this.status_.repairBacklog = result.underReplicated - result.repaired
    this.dispatchEvent(new CustomEvent('repair', { detail: result }))
    return result
  }

  async scrub (): Promise<ScrubResult> {
    const result = await this.maintenance.scrub({ signal: this.stopping.signal })
    this.status_.lastScrub = { ...result, at: Date.now() }
    this.dispatchEvent(new CustomEvent('scrub', { detail: result }))
    return result
  }

  async collect (now = Date.now()): Promise<GcResult> {
    const result = await this.maintenance.collect(now, { signal: this.stopping.signal })
    this.status_.lastGc = { ...result, at: Date.now() }
    this.dispatchEvent(new CustomEvent('gc', { detail: result }))
    return result
  }

  /**
   * Pin a share: copy every unit from the swarm (verify-only capability is
   * enough), then mark each pinned — pinned units are never collected — and
   * announce them. Pinning twice is a no-op.
   */
  async pin (root: CID, source: BlockSource, options: AbortOptions = {}): Promise<{ units: number }> {
    const units: CID[] = []
    await copyShare(root, source, this.deps.store, { ...options, sync: true, onUnit: unit => { units.push(unit.cid) } })
    await this.queue.run(async () => {
      if (await this.index.isPinned(root)) return
      const now = Date.now()
      const ops = [this.index.pinOp(root, true)]
      for (const unit of units) {
        const node = decodeUnitNode(await this.deps.store.get(unit))
        ops.push(...await this.index.holdOps(unit, node, now + this.leaseMs, now))
      }
      await this.deps.store.putMany([], { extraOps: ops, sync: true })
      // Count the pin on each unit (after the records exist).
      const pinOps = []
      for (const unit of units) {
        const record = await this.index.get(unit)
        if (record !== undefined) pinOps.push(this.index.putRecord(unit, { ...record, pins: record.pins + 1, leaseUntil: Math.max(record.leaseUntil, now + this.leaseMs) }))
      }
      await this.deps.store.putMany([], { extraOps: pinOps, sync: true })
    })
    for (const unit of units) this.background(this.deps.announce(unit))
    return { units: units.length }
  }

  /**
   * Hold a unit already in this node's store (this node shared it): index it
   * with a fresh lease, as if it had been pushed, and announce it.
   */
  async adopt (unit: CID): Promise<void> {
    await this.queue.run(async () => {
      const now = Date.now()
      const node = decodeUnitNode(await this.deps.store.get(unit))
      await this.deps.store.putMany([], { extraOps: await this.index.holdOps(unit, node, now + this.leaseMs, now), sync: true })
    })
    this.background(this.deps.announce(unit))
  }

  /** Unpin a share: its units keep their lease, then may be collected. */
  async unpin (root: CID, source: BlockSource, options: AbortOptions = {}): Promise<{ units: number }> {
    let count = 0
    await this.queue.run(async () => {
      if (!await this.index.isPinned(root)) return
      const ops = [this.index.pinOp(root, false)]
      for await (const unit of this.unitsOf(root, source, options)) {
        const record = await this.index.get(unit)
        if (record === undefined) continue
        ops.push(this.index.putRecord(unit, { ...record, pins: Math.max(0, record.pins - 1) }))
        count++
      }
      await this.deps.store.putMany([], { extraOps: ops, sync: true })
    })
    return { units: count }
  }

  async status (): Promise<StorageStatus> {
    const size = await this.deps.store.size()
    let units = 0
    let segments = 0
    for await (const { record } of this.index.all()) {
      units++
      if (record.height === 0) segments++
    }
    let pinnedShares = 0
    for await (const _ of this.index.pinnedRoots()) pinnedShares++
    return { capacity: this.init.capacity, used: size.bytes, blocks: size.blocks, units, segments, pinnedShares, ...this.status_ }
  }

  /** The units of a share, read from this node's store (falling back to `source`). */
  private async * unitsOf (root: CID, source: BlockSource, options: AbortOptions): AsyncGenerator<CID> {
    const pending = [root]
    while (pending.length > 0) {
      const unit = pending.pop()!
      yield unit
      let bytes: Uint8Array
      try {
        bytes = await this.deps.store.get(unit, options)
      } catch {
        bytes = await source.get(unit, { ...options, segment: unit })
      }
      const node = decodeUnitNode(bytes)
      if (node.height > 0) pending.push(...node.children)
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
      if (!this.stopping.signal.aborted) this.deps.log.error('storage task failed: %e', err)
    }).finally(() => { this.running.delete(tracked) })
    this.running.add(tracked)
  }
}
