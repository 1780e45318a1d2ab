import type { AbortOptions, Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { LevelBlockStore } from '../blockstore/index.js'
import { RAW_CODE } from '../format/index.js'
import type { UnitIndex } from './unit-index.js'
import type { SerialQueue } from './serial-queue.js'
import type { StorageAcceptor } from './acceptor.js'
import { emptyGcResult, evictExpired, expiredUnits, hardExpiredUnits, releaseUnit, type GcResult } from './eviction.js'
import type { PeerUsage } from './peer-usage.js'

export interface CollectorDeps {
  store: LevelBlockStore
  index: UnitIndex
  queue: SerialQueue
  acceptor: StorageAcceptor
  forget: (unit: CID) => void
  usage: PeerUsage
  capacity: number
  /** Usage fraction past which expired units are released… */
  highWatermark: number
  /** …down to this fraction. */
  lowWatermark: number
  /** A push with no PUT under way for this long has failed; raw blocks nothing lists are kept this long. */
  orphanGraceMs: number
  log: Logger
}

/**
 * Collection on a storage node. What nothing needs goes every pass: the
 * blocks of pushes that stopped (no PUT for the grace period), raw blocks
 * that no held unit lists (left by a crash or a restart mid-push), and
 * provisional units (no share root was shown to list them) past their short
 * lease; and shares made to expire, once their hard expiry passed (unless
 * pinned here). Expired leases
 * are kept while there is room: only past the high watermark are
 * expired, unpinned units released — the longest expired first — down to
 * the low watermark. Pinned units are never collected.
 */
export class Collector {
  constructor (private readonly deps: CollectorDeps) {}

  async collect (now = Date.now(), options: AbortOptions = {}): Promise<GcResult> {
    const { acceptor, store, capacity, queue } = this.deps
    const result = emptyGcResult()
    add(result, await acceptor.discard(acceptor.pending.takeIdle(now, this.deps.orphanGraceMs)))
    await this.collectOrphans(now, result, options)
    // A share made to expire goes at its expiry, room or not (a pin by this node's operator keeps it).
    for (const cid of await hardExpiredUnits(this.deps.index, now)) {
      options.signal?.throwIfAborted()
      const before = result.units
      await queue.run(async () => { await releaseUnit(this.deps, cid, result) })
      result.expired += result.units - before
    }
    if (result.expired > 0) this.deps.log('deleted %d units whose share expired', result.expired)
    // Segments no share was shown to list never outlive their short lease, room or not.
    for (const { cid } of await expiredUnits(this.deps.index, now, true)) {
      options.signal?.throwIfAborted()
      await queue.run(async () => { await releaseUnit(this.deps, cid, result) })
    }
    if ((await store.size()).bytes > capacity * this.deps.highWatermark) {
      options.signal?.throwIfAborted()
      await queue.run(async () => { await evictExpired(this.deps, now, capacity * this.deps.lowWatermark, result) })
    }
    if (result.blocks > 0) this.deps.log('collected %d units (%d blocks, %d bytes)', result.units, result.blocks, result.bytes)
    return result
  }

  /** Raw blocks that no held unit lists and no push under way needs, older than the grace period. */
  private async collectOrphans (now: number, result: GcResult, options: AbortOptions): Promise<void> {
    const { store, index, acceptor } = this.deps
    const stale: CID[] = []
    for await (const cid of store.cids(options)) {
      if (cid.code !== RAW_CODE || acceptor.pending.has(cid) || await index.refCount(cid) > 0) continue
      const storedAt = await store.storedAt(cid)
      if (storedAt !== undefined && now - storedAt >= this.deps.orphanGraceMs) stale.push(cid)
    }
    add(result, await acceptor.deleteOrphans(stale))
  }
}

function add (result: GcResult, removed: { blocks: number, bytes: number }): void {
  result.blocks += removed.blocks
  result.bytes += removed.bytes
}
