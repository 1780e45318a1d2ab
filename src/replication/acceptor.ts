import type { Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { LevelBlockStore, StoreBatchOperation } from '../blockstore/index.js'
import { DAG_CBOR_CODE, RAW_CODE, verifyBlockAsync } from '../format/cid.js'
import { decodeUnitNode, type UnitNode } from '../format/nodes.js'
import type { AdmittedPut, PushAcceptor, PushResult, PutAdmission } from '../protocol/server.js'
import type { Push, PutHeader } from '../protocol/messages.js'
import { RefuseCode } from '../protocol/wire.js'
import type { UnitIndex } from './unit-index.js'
import type { SerialQueue } from './serial-queue.js'
import { emptyGcResult, evictExpired, type EvictionDeps } from './eviction.js'
import { PendingPushes } from './pending-pushes.js'

export interface AcceptorInit {
  store: LevelBlockStore
  index: UnitIndex
  /** Bytes this node gives the swarm. */
  capacity: number
  /** The longest lease granted, and the one given when the pusher asks for none. */
  leaseMs: number
  /** Index writes run one at a time (reference counts are read-modify-write). */
  queue: SerialQueue
  /** A unit is now held in full: announce it. */
  onUnitHeld: (unit: CID) => void
  /** Usage passed the high watermark: collect what may be collected. */
  onPressure: () => void
  /** Fraction of capacity past which collection starts. */
  highWatermark: number
  /** Stop announcing a unit released to make room. */
  forget: (unit: CID) => void
  /** Told after the blocks a failed push left were deleted. */
  onOrphansDeleted?: (removed: { blocks: number, bytes: number }) => void
  log: Logger
}

/**
 * The storage node's answer to pushes. A PUT is admitted from its header:
 * a unit already held is a renewal and always admitted; new data needs room
 * (expired units are released for it, the longest expired first; otherwise
 * `Quota`, and the pusher tries the next closest node), which is reserved
 * until the PUT ends. Then each block is verified, written durably (fsync)
 * with the index records of any unit node among them, and only then
 * acknowledged. A full disk is a clean refusal, never a crash; nothing
 * already stored is touched by a failed push, and what a failed push left
 * behind goes at once (see PendingPushes).
 */
export class StorageAcceptor implements PushAcceptor {
  readonly pending = new PendingPushes()
  /** Bytes admitted PUTs may still bring. */
  private reserved = 0
  private readonly eviction: EvictionDeps

  constructor (private readonly init: AcceptorInit) {
    this.eviction = { store: init.store, index: init.index, forget: init.forget }
  }

  async admit (from: PeerId, header: PutHeader): Promise<PutAdmission> {
    const { index, capacity } = this.init
    const now = Date.now()
    const held = await index.get(header.unit)
    if (held === undefined && !await this.roomFor(header.bytes, now)) {
      // The pusher moves on to another node: what its earlier PUTs of this unit left is an orphan now.
      this.dropPush(from, header.unit)
      return { ok: false, code: RefuseCode.Quota, reason: `this node's ${capacity}-byte quota is full` }
    }
    const keptUntil = Math.max(held?.leaseUntil ?? 0, this.grant(header.leaseUntil, now))
    this.reserved += header.bytes
    this.pending.begin(from, header.unit, now)
    let stored: CID[] = []
    let ended = false
    const put: AdmittedPut = {
      store: async (pushes) => {
        const outcome = await this.init.queue.run(async () => await this.storeInOrder(pushes, keptUntil))
        stored = outcome.newRawBlocks
        return outcome.results
      },
      end: (completed) => {
        if (ended) return
        ended = true
        this.reserved -= header.bytes
        this.pending.end(from, header.unit, stored, Date.now())
        if (!completed) this.dropPush(from, header.unit)
      }
    }
    return { ok: true, keptUntil, put }
  }

  /** The lease to grant: what the pusher asked, within [now, now + leaseMs]; the full lease when it asked none. */
  grant (requested: number, now: number): number {
    return requested > now ? Math.min(requested, now + this.init.leaseMs) : now + this.init.leaseMs
  }

  /** Is there room for `bytes` more (besides what admitted PUTs may bring)? Releases expired units if that makes room. */
  private async roomFor (bytes: number, now: number): Promise<boolean> {
    const { store, capacity, queue } = this.init
    if ((await store.size()).bytes + this.reserved + bytes <= capacity) return true
    await queue.run(async () => {
      await evictExpired(this.eviction, now, capacity - this.reserved - bytes, emptyGcResult())
    })
    return (await store.size()).bytes + this.reserved + bytes <= capacity
  }

  /** Blocks a failed push of `unit` from `peer` stored and nothing references: delete them now. */
  dropPush (from: PeerId, unit: CID): void {
    const blocks = this.pending.take(from, unit)
    if (blocks.length === 0) return
    this.deleteOrphans(blocks).then(
      removed => { this.init.onOrphansDeleted?.(removed) },
      (err: unknown) => { this.init.log.error('could not delete the blocks of a failed push: %e', err) }
    )
  }

  /** Delete blocks that no held unit lists and no push under way still needs. */
  async deleteOrphans (blocks: CID[]): Promise<{ blocks: number, bytes: number }> {
    const { store, index, queue } = this.init
    const removed = { blocks: 0, bytes: 0 }
    await queue.run(async () => {
      for (const cid of blocks) {
        if (this.pending.has(cid) || await index.refCount(cid) > 0) continue
        const size = await store.byteLength(cid)
        if (size === undefined) continue
        await store.delete(cid)
        removed.blocks++
        removed.bytes += size
      }
    })
    if (removed.blocks > 0) this.init.log('deleted %d blocks (%d bytes) a failed push left', removed.blocks, removed.bytes)
    return removed
  }

  private async storeInOrder (pushes: Push[], leaseUntil: number): Promise<{ results: PushResult[], newRawBlocks: CID[] }> {
    const { store, index, capacity, log } = this.init
    const results: PushResult[] = new Array(pushes.length)
    let used = (await store.size()).bytes
    const accepted: Array<{ push: Push, at: number, unit?: UnitNode, isNew: boolean }> = []

    for (let i = 0; i < pushes.length; i++) {
      const push = pushes[i]!
      try {
        await verifyBlockAsync(push.cid, push.bytes)
      } catch {
        results[i] = { ok: false, code: RefuseCode.Invalid, reason: 'the bytes do not match the CID' }
        continue
      }
      let unit: UnitNode | undefined
      if (push.cid.code === DAG_CBOR_CODE) {
        try {
          unit = decodeUnitNode(push.bytes)
        } catch {
          results[i] = { ok: false, code: RefuseCode.Invalid, reason: 'not a Veil manifest node' }
          continue
        }
      }
      const held = await store.has(push.cid)
      if (!held && used + push.bytes.length > capacity) {
        results[i] = { ok: false, code: RefuseCode.Quota, reason: `this node's ${capacity}-byte quota is full` }
        continue
      }
      if (!held) used += push.bytes.length
      accepted.push({ push, at: i, unit, isNew: !held })
    }
    if (accepted.length === 0) return { results, newRawBlocks: [] }

    const now = Date.now()
    const extraOps: StoreBatchOperation[] = []
    for (const { push, unit } of accepted) {
      if (unit !== undefined) extraOps.push(...await index.holdOps(push.cid, unit, leaseUntil, now))
    }
    try {
      await store.putMany(accepted.map(({ push }) => push), { sync: true, extraOps })
    } catch (err) {
      const full = (err as NodeJS.ErrnoException).code === 'ENOSPC'
      log.error('could not store %d pushed blocks: %e', accepted.length, err)
      for (const { at } of accepted) {
        results[at] = full
          ? { ok: false, code: RefuseCode.DiskFull, reason: 'this node\'s disk is full' }
          : { ok: false, code: RefuseCode.Internal, reason: 'the node could not store the block' }
      }
      return { results, newRawBlocks: [] }
    }
    const newRawBlocks: CID[] = []
    for (const { at, push, unit, isNew } of accepted) {
      results[at] = { ok: true }
      if (isNew && push.cid.code === RAW_CODE && await index.refCount(push.cid) === 0) newRawBlocks.push(push.cid)
      if (unit === undefined) continue
      this.pending.complete(push.cid)
      if (await this.complete(unit)) this.init.onUnitHeld(push.cid)
    }
    if (used > capacity * this.init.highWatermark) this.init.onPressure()
    return { results, newRawBlocks }
  }

  /** A unit is complete when every content block it lists is here. */
  private async complete (unit: UnitNode): Promise<boolean> {
    if (unit.height > 0) return true
    for (const child of unit.children) {
      if (!await this.init.store.has(child)) return false
    }
    return true
  }
}
