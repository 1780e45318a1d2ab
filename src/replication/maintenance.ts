import { randomBytes } from 'node:crypto'
import type { AbortOptions, Logger, PeerId, PeerInfo } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { BlockSource, LevelBlockStore } from '../blockstore/index.js'
import { decodeUnitNode, type UnitNode, verifyBlockAsync } from '../format/index.js'
import { sha256 } from '../crypto/index.js'
import type { UnitIndex } from './unit-index.js'
import type { SerialQueue } from './serial-queue.js'
import { closestTo } from './distance.js'
import { placeUnit, type PlacementNetwork } from './placement.js'
import { readUnitNode } from './eviction.js'
import { deadline } from '../util/index.js'

export interface MaintenanceNetwork extends PlacementNetwork {
  findHolders(unit: CID, options: AbortOptions & { enough?: number, timeoutMs?: number }): AsyncIterable<PeerInfo>
  /** Storage nodes this node already knows (no look-up). */
  knownStoragePeers(): Promise<PeerId[]>
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
  /** How long one liveness look-up may take. */
  lookupTimeoutMs: number
  log: Logger
}

export interface ScrubResult { checked: number, corrupt: number, refetched: number, missing: number }
export interface RepairResult { units: number, underReplicated: number, repaired: number, copiesAdded: number }

/**
 * Two of the storage node's background passes over the units it holds (the
 * third, collection, is in collection.ts): scrubbing (re-hash every block,
 * replace what rotted) and repair (keep R live, proven copies of every unit
 * in the swarm). Both work with public data only — the verify-only
 * capability — never a key.
 */
export class Maintenance {
  constructor (private readonly deps: MaintenanceDeps) {}

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
    const now = Date.now()
    for await (const { cid: unit, record } of this.deps.index.all()) {
      options.signal?.throwIfAborted()
      // An expired share is kept while there is room, but not spread further; nor is a segment no share was shown to list.
      if ((record.pins === 0 && record.leaseUntil <= now) || record.provisional) continue
      // A share past its hard expiry goes; never copied elsewhere.
      if (record.expires !== undefined && record.expires <= now) continue
      result.units++
      const node = await readUnitNode(this.deps.store, unit)
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
        // New copies keep the lease this one has (a pinned unit's copies get the nodes' own).
        // Repair runs again soon: no waiting here for storage nodes the DHT has not found yet.
        // Copies of a share made to expire carry its hard expiry.
        { ...options, replicas: this.deps.replicas, holders: live, leaseUntil: record.pins > 0 ? 0 : record.leaseUntil, path: record.path, expires: record.expires, rediscoverMs: [] }
      )
      result.copiesAdded += placed.placed.length
      if (live.length + placed.placed.length >= this.deps.replicas) result.repaired++
    }
    if (result.underReplicated > 0) this.deps.log('repair: %d of %d units under-replicated, %d repaired (%d copies added)', result.underReplicated, result.units, result.repaired, result.copiesAdded)
    return result
  }

  /**
   * This node plus every holder that proves it has the unit (its node and a
   * sample of its blocks). Asked: the holders the DHT names, and the storage
   * nodes closest to the unit that this node knows — where placement puts
   * copies — so a holder whose record the look-up missed still counts.
   */
  async liveHolders (unit: CID, node: UnitNode, options: AbortOptions = {}): Promise<PeerId[]> {
    const live: PeerId[] = [this.deps.self]
    const sample = [unit, ...pickSample(node.height === 0 ? node.children : [], 2)]
    const asked = new Set<string>([this.deps.self.toString()])
    const checks: Array<Promise<void>> = []
    const ask = (peer: PeerId): void => {
      if (asked.has(peer.toString())) return
      asked.add(peer.toString())
      checks.push((async () => {
        if (await this.proves(peer, sample, options)) live.push(peer)
      })())
    }
    for (const peer of closestTo(unit, await this.deps.network.knownStoragePeers()).slice(0, this.deps.replicas * 2)) ask(peer)
    for await (const holder of this.deps.network.findHolders(unit, { ...options, enough: this.deps.replicas * 3, timeoutMs: this.deps.lookupTimeoutMs })) ask(holder.id)
    await Promise.all(checks)
    return live
  }

  private async proves (peer: PeerId, cids: CID[], options: AbortOptions): Promise<boolean> {
    try {
      const nonce = new Uint8Array(randomBytes(32))
      const proofs = await this.deps.network.prove(peer, nonce, cids, { signal: deadline(this.deps.lookupTimeoutMs, options.signal) })
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
}

function pickSample<T> (items: T[], count: number): T[] {
  if (items.length <= count) return [...items]
  const picked = new Set<number>()
  while (picked.size < count) picked.add(Math.floor(Math.random() * items.length))
  return [...picked].map(i => items[i]!)
}
