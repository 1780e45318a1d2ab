import type { Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { LevelBlockStore, StoreBatchOperation } from '../blockstore/index.js'
import { DAG_CBOR_CODE, verifyBlockAsync } from '../format/cid.js'
import { decodeUnitNode, type UnitNode } from '../format/nodes.js'
import type { PushAcceptor, PushResult } from '../protocol/server.js'
import type { Push } from '../protocol/messages.js'
import { RefuseCode } from '../protocol/wire.js'
import type { UnitIndex } from './unit-index.js'
import type { SerialQueue } from './serial-queue.js'

export interface AcceptorInit {
  store: LevelBlockStore
  index: UnitIndex
  /** Bytes this node gives the swarm. */
  capacity: number
  /** How long a pushed unit is kept without a renewal. */
  leaseMs: number
  /** Index writes run one at a time (reference counts are read-modify-write). */
  queue: SerialQueue
  /** A unit is now held in full: announce it. */
  onUnitHeld: (unit: CID) => void
  /** Usage passed the high watermark: collect what may be collected. */
  onPressure: () => void
  /** Fraction of capacity past which collection starts. */
  highWatermark: number
  log: Logger
}

/**
 * The storage node's answer to pushes: verify each block, refuse what would
 * go past the capacity (the pusher then tries the next closest node), write
 * the rest durably (fsync) together with the index records of any unit node
 * among them, and only then say ok. A full disk is a clean refusal, never a
 * crash; nothing already stored is touched by a failed push.
 */
export class StorageAcceptor implements PushAcceptor {
  constructor (private readonly init: AcceptorInit) {}

  async accept (from: PeerId, pushes: Push[]): Promise<PushResult[]> {
    return await this.init.queue.run(async () => await this.acceptInOrder(from, pushes))
  }

  private async acceptInOrder (from: PeerId, pushes: Push[]): Promise<PushResult[]> {
    const { store, index, capacity, log } = this.init
    const results: PushResult[] = new Array(pushes.length)
    let used = (await store.size()).bytes
    const accepted: Array<{ push: Push, at: number, unit?: UnitNode }> = []

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
      accepted.push({ push, at: i, unit })
    }
    if (accepted.length === 0) return results

    const now = Date.now()
    const extraOps: StoreBatchOperation[] = []
    for (const { push, unit } of accepted) {
      if (unit !== undefined) extraOps.push(...await index.holdOps(push.cid, unit, now + this.init.leaseMs, now))
    }
    try {
      await store.putMany(accepted.map(({ push }) => push), { sync: true, extraOps })
    } catch (err) {
      const full = (err as NodeJS.ErrnoException).code === 'ENOSPC'
      log.error('could not store %d pushed blocks from %p: %e', accepted.length, from, err)
      for (const { at } of accepted) {
        results[at] = full
          ? { ok: false, code: RefuseCode.DiskFull, reason: 'this node\'s disk is full' }
          : { ok: false, code: RefuseCode.Internal, reason: 'the node could not store the block' }
      }
      return results
    }
    for (const { at, push, unit } of accepted) {
      results[at] = { ok: true }
      if (unit !== undefined && await this.complete(unit)) this.init.onUnitHeld(push.cid)
    }
    if (used > capacity * this.init.highWatermark) this.init.onPressure()
    return results
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
