import { randomBytes } from 'node:crypto'
import type { AbortOptions, Logger, PeerId, PeerInfo } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { LevelBlockStore } from '../blockstore/index.js'
import type { BlockSource } from '../exporter/source.js'
import { decodeUnitNode, type UnitNode } from '../format/nodes.js'
import { sha256 } from '../crypto/hash.js'
import { verifyBlockAsync } from '../format/cid.js'
import type { UnitIndex } from './unit-index.js'
import type { SerialQueue } from './serial-queue.js'
import { closestTo } from './distance.js'
import { placeUnit, type PlacementNetwork } from './placement.js'

export interface MaintenanceNetwork extends PlacementNetwork {
  findHolders(unit: CID, options: AbortOptions & { enough?: number, timeoutMs?: number }): AsyncIterable<PeerInfo>
}

export interface MaintenanceDeps {
  store: LevelBlockStore
  index: UnitIndex
  queue: SerialQueue
  self: PeerId
  replicas: number
  announce: (unit: CID) => Promise<boolean>
  forget: (unit: CID) => void
  network: MaintenanceNetwork
  /** A fresh fetch engine (for blocks missing or corrupt here). */
  fetcher: () => BlockSource
  /** Raw blocks no unit lists are kept this long (a push may still be bringing their node). */
  orphanGraceMs: number
  /** How long one liveness look-up may take. */
  lookupTimeoutMs: number
  log: Logger
}

export interface GcResult { units: number, blocks: number, bytes: number }
export interface ScrubResult { checked: number, corrupt: number, refetched: number, missing: number }
export interface RepairResult { units: number, underReplicated: number, repaired: number, copiesAdded: number }

/**
 * The storage node's three background passes over the units it holds:
 * collection (expired, unpinned leases; orphans), scrubbing (re-hash every
 * block, replace what rotted) and repair (keep R live, proven copies of every
 * unit in the swarm). All work with public data only — the verify-only
 * capability — never a key.
 */
export class Maintenance {
  constructor (private readonly deps: MaintenanceDeps) {}

  // --- collection ------------------------------------------------------------------

  async collect (now = Date.now(), options: AbortOptions = {}): Promise<GcResult> {
    const result: GcResult = { units: 0, blocks: 0, bytes: 0 }
    const expired: CID[] = []
    for await (const { cid, record } of this.deps.index.all()) {
      if (record.pins === 0 && record.leaseUntil <= now) expired.push(cid)
    }
    for (const unit of expired) {
      options.signal?.throwIfAborted()
      await this.deps.queue.run(async () => { await this.release(unit, result) })
    }
    await this.collectOrphans(now, result, options)
    if (result.units > 0) this.deps.log('collected %d units (%d blocks, %d bytes)', result.units, result.blocks, result.bytes)
    return result
  }

  private async release (unit: CID, result: GcResult): Promise<void> {
    const { store, index } = this.deps
    const record = await index.get(unit)
    if (record === undefined || record.pins > 0) return // pinned or renewed meanwhile
    const node = await this.readUnitNode(unit)
    const { ops, orphans } = await index.releaseOps(unit, node)
    await store.putMany([], { extraOps: ops })
    for (const cid of [...orphans, unit]) {
      const bytes = await this.sizeOf(cid)
      await store.delete(cid)
      result.blocks++
      result.bytes += bytes
    }
    this.deps.forget(unit)
    result.units++
  }

  /** Raw blocks that no held unit lists, older than the grace period. */
  private async collectOrphans (now: number, result: GcResult, options: AbortOptions): Promise<void> {
    const { store, index } = this.deps
    for await (const cid of store.cids(options)) {
      if (cid.code !== 0x55) continue
      if (await index.refCount(cid) > 0) continue
      const storedAt = await store.storedAt(cid)
      if (storedAt === undefined || now - storedAt < this.deps.orphanGraceMs) continue
      await this.deps.queue.run(async () => {
        if (await index.refCount(cid) > 0) return
        result.bytes += await this.sizeOf(cid)
        result.blocks++
        await store.delete(cid)
      })
    }
  }

  // --- scrubbing -------------------------------------------------------------------

  /** Re-hash every block of every held unit; delete what rotted and fetch it again. */
  async scrub (options: AbortOptions = {}): Promise<ScrubResult> {
    const result: ScrubResult = { checked: 0, corrupt: 0, refetched: 0, missing: 0 }
    const fetcher = this.deps.fetcher()
    for await (const { cid: unit } of this.deps.index.all()) {
      options.signal?.throwIfAborted()
      const node = await this.checkBlock(unit, unit, fetcher, result, options)
      if (node === undefined) continue
      let decoded: UnitNode
      try {
        decoded = decodeUnitNode(node)
      } catch {
        continue
      }
      if (decoded.height > 0) continue
      for (const child of decoded.children) await this.checkBlock(child, unit, fetcher, result, options)
    }
    if (result.corrupt > 0 || result.missing > 0) this.deps.log('scrub: %d checked, %d corrupt, %d missing, %d fetched again', result.checked, result.corrupt, result.missing, result.refetched)
    return result
  }

  private async checkBlock (cid: CID, unit: CID, fetcher: BlockSource, result: ScrubResult, options: AbortOptions): Promise<Uint8Array | undefined> {
    const { store, log } = this.deps
    result.checked++
    try {
      return await store.get(cid, options)
    } catch (err) {
      const name = (err as Error).name
      if (name === 'BlockCorruptError') {
        result.corrupt++
        log.error('scrub: block %c is corrupt on disk; deleting it and fetching it again', cid)
        await store.delete(cid)
      } else if (name === 'BlockNotFoundError') {
        result.missing++
      } else {
        throw err
      }
    }
    try {
      const bytes = await fetcher.get(cid, { ...options, segment: unit })
      await verifyBlockAsync(cid, bytes)
      await store.put({ cid, bytes }, { sync: true })
      result.refetched++
      return bytes
    } catch (err) {
      log('scrub: could not fetch %c again yet: %e', cid, err)
      return undefined
    }
  }

  // --- repair ----------------------------------------------------------------------

  /**
   * For each unit held: find its holders, keep those that prove they hold it
   * (a random sample of its blocks, challenged with a fresh nonce), and if
   * fewer than R are live, the live holder closest to the unit pushes copies
   * to the next closest storage nodes. One holder acts, so copies are not
   * made several times over.
   */
  async repair (options: AbortOptions = {}): Promise<RepairResult> {
    const result: RepairResult = { units: 0, underReplicated: 0, repaired: 0, copiesAdded: 0 }
    for await (const { cid: unit } of this.deps.index.all()) {
      options.signal?.throwIfAborted()
      result.units++
      const node = await this.readUnitNode(unit)
      if (node === undefined) continue
      const live = await this.liveHolders(unit, node, options)
      if (live.length >= this.deps.replicas) continue
      result.underReplicated++
      if (!closestTo(unit, live)[0]!.equals(this.deps.self)) continue
      const placed = await placeUnit(
        { cid: unit, blocks: node.height === 0 ? node.children : [] },
        async (cid, opts) => await this.deps.store.get(cid, opts),
        this.deps.network,
        this.deps.log,
        { ...options, replicas: this.deps.replicas, holders: live }
      )
      result.copiesAdded += placed.placed.length
      if (live.length + placed.placed.length >= this.deps.replicas) result.repaired++
    }
    if (result.underReplicated > 0) this.deps.log('repair: %d of %d units under-replicated, %d repaired (%d copies added)', result.underReplicated, result.units, result.repaired, result.copiesAdded)
    return result
  }

  /** This node plus every holder that proves it has the unit (node and a sample of its blocks). */
  async liveHolders (unit: CID, node: UnitNode, options: AbortOptions = {}): Promise<PeerId[]> {
    const live: PeerId[] = [this.deps.self]
    const sample = [unit, ...pickSample(node.height === 0 ? node.children : [], 2)]
    const checks: Array<Promise<void>> = []
    for await (const holder of this.deps.network.findHolders(unit, { ...options, enough: this.deps.replicas * 3, timeoutMs: this.deps.lookupTimeoutMs })) {
      if (holder.id.equals(this.deps.self)) continue
      checks.push((async () => {
        if (await this.proves(holder.id, sample, options)) live.push(holder.id)
      })())
    }
    await Promise.all(checks)
    return live
  }

  private async proves (peer: PeerId, cids: CID[], options: AbortOptions): Promise<boolean> {
    try {
      const nonce = new Uint8Array(randomBytes(32))
      const proofs = await this.deps.network.prove(peer, nonce, cids, { signal: options.signal ?? AbortSignal.timeout(this.deps.lookupTimeoutMs) })
      for (let i = 0; i < cids.length; i++) {
        const proof = proofs[i]
        if (proof === undefined) return false
        const expected = sha256(nonce, await this.deps.store.get(cids[i]!))
        if (!Buffer.from(proof).equals(Buffer.from(expected))) return false
      }
      return true
    } catch {
      return false
    }
  }

  private async readUnitNode (unit: CID): Promise<UnitNode | undefined> {
    try {
      return decodeUnitNode(await this.deps.store.get(unit))
    } catch {
      return undefined
    }
  }

  private async sizeOf (cid: CID): Promise<number> {
    try {
      return (await this.deps.store.get(cid)).length
    } catch {
      return 0
    }
  }
}

function pickSample<T> (items: T[], count: number): T[] {
  if (items.length <= count) return [...items]
  const picked = new Set<number>()
  while (picked.size < count) picked.add(Math.floor(Math.random() * items.length))
  return [...picked].map(i => items[i]!)
}
