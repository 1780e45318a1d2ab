import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import PQueue from 'p-queue'
import type { LevelBlockStore, StoreBatchOperation } from '../blockstore/index.js'
import { DAG_CBOR_CODE, RAW_CODE, verifyBlockAsync, decodeUnitNode, type UnitNode } from '../format/index.js'
import { type AdmittedPut, type PushAcceptor, type PushResult, type PutAdmission, type Push, type PutHeader, RefuseCode } from '../protocol/index.js'
import { deadline } from '../util/index.js'
import type { UnitIndex } from './unit-index.js'
import type { SerialQueue } from './serial-queue.js'
import { emptyGcResult, evictExpired, type EvictionDeps } from './eviction.js'
import { PendingPushes, type PendingBlock, type PendingPush } from './pending-pushes.js'
import type { PeerUsage } from './peer-usage.js'
import { leadsTo } from './unit-path.js'

/** Who may push to a storage node: anyone, members of its private swarm, or the listed peer ids. */
export type AcceptFrom = 'any' | 'swarm' | string[]

export interface AcceptorInit {
  store: LevelBlockStore
  index: UnitIndex
  /** Bytes this node gives the swarm. */
  capacity: number
  /** Bytes one pusher may use of them. */
  perPeerBytes: number
  acceptFrom: AcceptFrom
  /** This node runs in a private swarm: every peer it can talk to holds the swarm key. */
  inSwarm: boolean
  /** The longest lease granted, and the one given when the pusher asks for none. */
  leaseMs: number
  /** The lease of a segment or index node until a push shows a share root lists it. */
  provisionalLeaseMs: number
  /** Index writes run one at a time (reference counts are read-modify-write). */
  queue: SerialQueue
  usage: PeerUsage
  /** Read a manifest node to check a unit's path: this node's store, else the pusher, else the swarm. */
  readNode: (cid: CID, from: PeerId, options: AbortOptions) => Promise<Uint8Array>
  /** A unit is now held in full: announce it. */
  onUnitHeld: (unit: CID) => void
  /** Usage passed the high watermark: collect what may be collected. */
  onPressure: () => void
  /** Fraction of capacity past which collection starts. */
  highWatermark: number
  /** Stop announcing a unit released to make room. */
  forget: (unit: CID) => void
  /** A unit with a hard expiry is held now: collect it then. */
  onExpiry?: (at: number) => void
  /** Told after the blocks a failed push left were deleted. */
  onOrphansDeleted?: (removed: { blocks: number, bytes: number }) => void
  log: Logger
}

/**
 * A unit's path is checked in a few reads of small nodes (from the pusher,
 * or looked up in the swarm): this many checks run at once node-wide, at
 * most PATH_CHECKS_WAITING more wait, and one peer has at most
 * PATH_CHECKS_PER_PEER under way. A check that finds no place answers "not
 * shown" — the unit stays provisional until a later push shows its path.
 */
const PATH_CHECKS_AT_ONCE = 2
const PATH_CHECKS_WAITING = 16
const PATH_CHECKS_PER_PEER = 2
const PATH_CHECK_TIMEOUT_MS = 10_000

/**
 * The storage node's answer to pushes. A PUT is admitted from its header:
 * the pusher must be allowed (`acceptFrom`), a unit already held is a
 * renewal and always admitted; new data must fit the pusher's share of the
 * node (`PeerQuota` otherwise) and the node (expired units are released for
 * it, the longest expired first; otherwise `Quota`, and the pusher tries the
 * next closest node), and is reserved until the PUT ends. Then each block is
 * verified, written durably (fsync) with the index records of any unit node
 * among them, and only then acknowledged. A segment or index node gets a
 * short, provisional lease until a push names a path from a share root that
 * really lists it. A full disk is a clean refusal, never a crash; nothing
 * already stored is touched by a failed push, and what a failed push left
 * behind goes at once (see PendingPushes).
 */
export class StorageAcceptor implements PushAcceptor {
  readonly pending = new PendingPushes()
  /** Bytes admitted PUTs may still bring. */
  private reserved = 0
  private readonly eviction: EvictionDeps
  private readonly pathChecks = new PQueue({ concurrency: PATH_CHECKS_AT_ONCE })
  private readonly pathChecksByPeer = new Map<string, number>()
  private readonly allowed: Set<string> | undefined

  constructor (private readonly init: AcceptorInit) {
    this.eviction = { store: init.store, index: init.index, forget: init.forget, usage: init.usage }
    this.allowed = Array.isArray(init.acceptFrom) ? new Set(init.acceptFrom) : undefined
  }

  async admit (from: PeerId, header: PutHeader, options: { signal: AbortSignal }): Promise<PutAdmission> {
    const { index, capacity, usage, perPeerBytes } = this.init
    if (!this.accepts(from)) return { ok: false, code: RefuseCode.NotAccepting, reason: this.whoIsAccepted() }
    const now = Date.now()
    if (header.expires !== undefined && header.expires <= now) return { ok: false, code: RefuseCode.Invalid, reason: 'the share has expired (its hard expiry has passed)' }
    const checkPath = (): Promise<boolean> => header.path === undefined ? Promise.resolve(false) : this.checkPath(header.unit, header.path, from, options.signal)
    const held = await index.get(header.unit)
    // A hard expiry caps whatever lease is asked for or granted.
    let keptUntil = Math.min(this.grant(header.leaseUntil, now), header.expires ?? Infinity)
    let rooted: Promise<boolean>
    if (held !== undefined) {
      // A renewal: always admitted; a provisional unit whose path checks out gets the lease it was granted.
      rooted = held.provisional ? checkPath() : Promise.resolve(false)
      if (await rooted) await this.promote(header.unit, header.path!)
      const record = await index.get(header.unit) ?? held
      keptUntil = record.provisional ? record.leaseUntil : Math.max(record.leaseUntil, keptUntil)
      // Renewal never reaches past a hard expiry the unit came with.
      if (record.expires !== undefined) keptUntil = Math.min(keptUntil, record.expires)
    } else {
      if (usage.of(from) + header.bytes > perPeerBytes) {
        this.dropPush(from, header.unit)
        return { ok: false, code: RefuseCode.PeerQuota, reason: `this peer has used its ${perPeerBytes}-byte share of this node` }
      }
      if (!await this.roomFor(header.bytes, now)) {
        // The pusher moves on to another node: what its earlier PUTs of this unit left is an orphan now.
        this.dropPush(from, header.unit)
        return { ok: false, code: RefuseCode.Quota, reason: `this node's ${capacity}-byte quota is full` }
      }
      // Checked while the blocks travel; awaited before the unit node is stored.
      rooted = checkPath()
    }
    this.reserved += header.bytes
    usage.reserve(from, header.bytes)
    this.pending.begin(from, header.unit, now)
    let stored: PendingBlock[] = []
    let ended = false
    const put: AdmittedPut = {
      store: async (pushes, { signal }) => {
        const path = await rooted ? header.path : undefined
        // A PUT whose deadline passed while it waited for the index queue stores nothing.
        const outcome = await this.init.queue.run(async () => {
          signal.throwIfAborted()
          return await this.storeInOrder(from, header, keptUntil, path, pushes)
        })
        stored = outcome.pending
        return outcome.results
      },
      end: (completed) => {
        if (ended) return
        ended = true
        this.reserved -= header.bytes
        usage.release(from, header.bytes)
        // What it stored that nothing lists yet keeps counting against the pusher until its unit arrives or it goes.
        usage.reserve(from, stored.reduce((sum, block) => sum + block.size, 0))
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

  private accepts (from: PeerId): boolean {
    const policy = this.init.acceptFrom
    if (policy === 'any') return true
    if (policy === 'swarm') return this.init.inSwarm
    return this.allowed!.has(from.toString())
  }

  private whoIsAccepted (): string {
    const policy = this.init.acceptFrom
    if (policy === 'swarm') return 'this node takes pushes only inside its private swarm'
    return 'this node takes pushes only from the peers its operator listed'
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

  /** Does `path` lead from a share root to `unit`? Bounded: a few node-wide at once, each within a deadline. */
  private async checkPath (unit: CID, path: CID[], from: PeerId, signal: AbortSignal): Promise<boolean> {
    const peer = from.toString()
    const mine = this.pathChecksByPeer.get(peer) ?? 0
    if (mine >= PATH_CHECKS_PER_PEER || this.pathChecks.size >= PATH_CHECKS_WAITING) return false
    this.pathChecksByPeer.set(peer, mine + 1)
    const within = deadline(PATH_CHECK_TIMEOUT_MS, signal)
    try {
      return await this.pathChecks.add(async () => await leadsTo(unit, path, async (cid, opts) => await this.init.readNode(cid, from, { signal: opts?.signal ?? within }), { signal: within }), { signal: within }) ?? false
    } catch {
      return false
    } finally {
      const left = (this.pathChecksByPeer.get(peer) ?? 1) - 1
      if (left <= 0) this.pathChecksByPeer.delete(peer)
      else this.pathChecksByPeer.set(peer, left)
    }
  }

  private async promote (unit: CID, path: CID[]): Promise<void> {
    await this.init.queue.run(async () => {
      const ops = await this.init.index.promoteOps(unit, path)
      if (ops.length > 0) await this.init.store.putMany([], { extraOps: ops, sync: true })
    })
  }

  /** Blocks a failed push of `unit` from `peer` stored and nothing references: delete them now. */
  dropPush (from: PeerId, unit: CID): void {
    const push = this.pending.take(from, unit)
    if (push === undefined) return
    this.discard([push]).catch((err: unknown) => { this.init.log.error('could not delete the blocks of a failed push: %e', err) })
  }

  /** Delete what pushes that failed or went idle left, and stop counting it against their pushers. */
  async discard (pushes: PendingPush[]): Promise<{ blocks: number, bytes: number }> {
    if (pushes.length === 0) return { blocks: 0, bytes: 0 }
    for (const push of pushes) this.init.usage.release(push.peer, push.bytes)
    const removed = await this.deleteOrphans(pushes.flatMap(push => push.blocks.map(block => block.cid)))
    this.init.onOrphansDeleted?.(removed)
    return removed
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

  private async storeInOrder (from: PeerId, header: PutHeader, keptUntil: number, path: CID[] | undefined, pushes: Push[]): Promise<{ results: PushResult[], pending: PendingBlock[] }> {
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
    // A unit node is stored only with every block it lists (here, or in this PUT): holding the node
    // must mean holding the unit, since renewals and placement prove the node alone.
    const arriving = new Set(accepted.map(a => a.push.cid.toString()))
    for (let j = accepted.length - 1; j >= 0; j--) {
      const { unit, at } = accepted[j]!
      if (unit === undefined || unit.height > 0) continue
      let missing = 0
      for (const child of unit.children) if (!arriving.has(child.toString()) && !await store.has(child)) missing++
      if (missing === 0) continue
      results[at] = { ok: false, code: RefuseCode.Invalid, reason: `${missing} of the blocks this unit lists are not on this node: push them before its node` }
      accepted.splice(j, 1)
    }
    if (accepted.length === 0) return { results, pending: [] }

    const now = Date.now()
    const owner = from.toString()
    const newBytes = accepted.reduce((sum, a) => sum + (a.isNew ? a.push.bytes.length : 0), 0)
    const charges: Array<{ cid: CID, bytes: number }> = []
    const extraOps: StoreBatchOperation[] = []
    for (const { push, unit } of accepted) {
      if (unit === undefined) continue
      if (await index.get(push.cid) === undefined) {
        // The unit's blocks from earlier PUTs and this one, and its node, are charged to its pusher.
        const charged = push.cid.equals(header.unit) ? this.pending.bytesOf(from, header.unit) + newBytes : push.bytes.length
        charges.push({ cid: push.cid, bytes: charged })
        const provisional = unit.kind !== 'root' && path === undefined
        const leaseUntil = provisional ? Math.min(keptUntil, now + this.init.provisionalLeaseMs) : keptUntil
        extraOps.push(...await index.holdOps(push.cid, unit, leaseUntil, now, { owner, charged, provisional, grantedUntil: keptUntil, path, expires: header.expires }))
      } else {
        extraOps.push(...await index.holdOps(push.cid, unit, keptUntil, now))
        if (path !== undefined) extraOps.push(...await index.promoteOps(push.cid, path))
      }
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
      return { results, pending: [] }
    }
    for (const { bytes } of charges) this.init.usage.charge(owner, bytes)
    const pending: PendingBlock[] = []
    for (const { at, push, unit, isNew } of accepted) {
      results[at] = { ok: true }
      if (isNew && push.cid.code === RAW_CODE && await index.refCount(push.cid) === 0) pending.push({ cid: push.cid, size: push.bytes.length })
      if (unit === undefined) continue
      if (header.expires !== undefined) this.init.onExpiry?.(header.expires)
      // Its blocks are listed now: they stop counting as pending, for whoever pushed them.
      for (const done of this.pending.complete(push.cid)) this.init.usage.release(done.peer, done.bytes)
      if (await this.complete(unit)) this.init.onUnitHeld(push.cid)
    }
    if (used > capacity * this.init.highWatermark) this.init.onPressure()
    return { results, pending }
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
