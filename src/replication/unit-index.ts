import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import type { LevelBlockStore, StoreBatchOperation, StoreSublevel } from '../blockstore/index.js'
import type { UnitNode } from '../format/index.js'
import { PinSet } from './pin-set.js'

/**
 * What a storage node knows about each unit (root, segment or index node)
 * it holds, kept in the block store's LevelDB so records change in the same
 * batch as the blocks they describe:
 *
 *   units!<cid>  { v, k: kind, h: height, n: children, lease: ms, pins: count, at: ms,
 *                  by: pusher peer id, c: bytes charged to it, p: provisional, g: lease granted,
 *                  r: verified path from the share root [cid…], x: hard expiry ms (a share made to expire) }
 *   refs!<cid>   u32 — how many held units list this content block
 *   pins!<cid>   a share root pinned on this node (see PinSet)
 *
 * Units are the unit of announcing, leasing, pinning, repair and collection.
 * A content block may belong to several units (convergent shares), so it is
 * deleted only when no held unit lists it any more.
 */

export interface UnitRecord {
  kind: UnitNode['kind']
  height: number
  /** Children the node lists (blocks at height 0, units above). */
  children: number
  /** Kept at least until this time (ms since the epoch); pushes and pins renew it. */
  leaseUntil: number
  /** Pinned shares this unit belongs to; never collected while > 0. */
  pins: number
  /** When this node first held it. */
  storedAt: number
  /** The peer whose push brought it, and the bytes it was charged (its blocks new here and its node). */
  owner?: string
  charged: number
  /**
   * A segment or index node no verified root has been seen to list yet: its
   * lease is short until a push names a root that does (junk pushed on its
   * own never lives long); then it gets `grantedUntil`.
   */
  provisional: boolean
  grantedUntil: number
  /** The path from the share root verified to lead to this unit (told to the nodes repair copies it to). */
  path?: CID[]
  /**
   * A hard expiry (its first push asked for one: a share made with
   * `--expires`): the unit is deleted then unless pinned here, whatever
   * room there is, and no lease or renewal reaches past it.
   */
  expires?: number
}

/** What a newly held unit's record says besides its shape and lease. */
export interface HoldInfo {
  owner?: string
  charged?: number
  provisional?: boolean
  grantedUntil?: number
  path?: CID[]
  /** A hard expiry, recorded only when the unit is new here. */
  expires?: number
}

export class UnitIndex {
  private readonly units: StoreSublevel
  private readonly refs: StoreSublevel
  private readonly pins: PinSet

  constructor (store: LevelBlockStore) {
    this.units = store.sublevel('units')
    this.refs = store.sublevel('refs')
    this.pins = new PinSet(store)
  }

  async get (cid: CID): Promise<UnitRecord | undefined> {
    const bytes = await this.units.get(cid.bytes)
    return bytes === undefined ? undefined : decodeRecord(bytes)
  }

  async * all (): AsyncGenerator<{ cid: CID, record: UnitRecord }> {
    for await (const [key, value] of this.units.iterator()) {
      const record = decodeRecord(value)
      if (record !== undefined) yield { cid: CID.decode(key), record }
    }
  }

  async refCount (block: CID): Promise<number> {
    const bytes = await this.refs.get(block.bytes)
    return bytes === undefined ? 0 : new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0)
  }

  /**
   * Operations that record a newly held unit (or renew its lease when it is
   * already held): for a new unit, one more reference on each content block
   * it lists. Callers serialise index writes, so the read-modify-write of
   * reference counts cannot race.
   */
  async holdOps (cid: CID, node: UnitNode, leaseUntil: number, now: number, info: HoldInfo = {}): Promise<StoreBatchOperation[]> {
    const existing = await this.get(cid)
    if (existing !== undefined && existing.expires !== undefined) leaseUntil = Math.min(leaseUntil, existing.expires)
    if (existing !== undefined) {
      // A provisional unit's lease stays short: only what it was granted grows.
      if (existing.provisional) return existing.grantedUntil >= leaseUntil ? [] : [this.putRecord(cid, { ...existing, grantedUntil: leaseUntil })]
      return existing.leaseUntil >= leaseUntil ? [] : [this.putRecord(cid, { ...existing, leaseUntil })]
    }
    const provisional = info.provisional ?? false
    if (info.expires !== undefined) leaseUntil = Math.min(leaseUntil, info.expires)
    const record: UnitRecord = {
      kind: node.kind,
      height: node.height,
      children: node.children.length,
      leaseUntil: provisional ? Math.min(leaseUntil, info.grantedUntil ?? leaseUntil) : leaseUntil,
      pins: 0,
      storedAt: now,
      owner: info.owner,
      charged: info.charged ?? 0,
      provisional,
      grantedUntil: Math.min(info.grantedUntil ?? leaseUntil, info.expires ?? Infinity),
      path: info.path,
      expires: info.expires
    }
    const ops: StoreBatchOperation[] = [this.putRecord(cid, record)]
    if (node.height === 0) ops.push(...await this.refOps(node.children, +1))
    return ops
  }

  /** Operations that forget a unit; also returns the blocks no held unit lists any more. */
  async releaseOps (cid: CID, node: UnitNode | undefined): Promise<{ ops: StoreBatchOperation[], orphans: CID[] }> {
    const ops: StoreBatchOperation[] = [{ type: 'del', sublevel: this.units, key: cid.bytes }]
    const orphans: CID[] = []
    if (node !== undefined && node.height === 0) {
      for (const child of unique(node.children)) {
        const count = await this.refCount(child)
        if (count <= 1) {
          ops.push({ type: 'del', sublevel: this.refs, key: child.bytes })
          orphans.push(child)
        } else {
          ops.push({ type: 'put', sublevel: this.refs, key: child.bytes, value: u32(count - 1) })
        }
      }
    }
    return { ops, orphans }
  }

  /** A provisional unit was found listed by a share: it gets the lease it was granted, and its path is kept. */
  async promoteOps (cid: CID, path: CID[]): Promise<StoreBatchOperation[]> {
    const record = await this.get(cid)
    if (record === undefined || !record.provisional) return []
    return [this.putRecord(cid, { ...record, provisional: false, leaseUntil: Math.max(record.leaseUntil, record.grantedUntil), path })]
  }

  putRecord (cid: CID, record: UnitRecord): StoreBatchOperation {
    return { type: 'put', sublevel: this.units, key: cid.bytes, value: encodeRecord(record) }
  }

  async isPinned (root: CID): Promise<boolean> {
    return await this.pins.has(root)
  }

  pinOp (root: CID, pinned: boolean, given = true): StoreBatchOperation {
    return this.pins.op(root, pinned, given)
  }

  async * pinnedRoots (): AsyncGenerator<CID> {
    for await (const { root } of this.pins.all()) yield root
  }

  private async refOps (blocks: CID[], delta: number): Promise<StoreBatchOperation[]> {
    const ops: StoreBatchOperation[] = []
    for (const block of unique(blocks)) {
      const count = await this.refCount(block) + delta
      ops.push(count <= 0
        ? { type: 'del', sublevel: this.refs, key: block.bytes }
        : { type: 'put', sublevel: this.refs, key: block.bytes, value: u32(count) })
    }
    return ops
  }
}

function unique (cids: CID[]): CID[] {
  const seen = new Map<string, CID>()
  for (const cid of cids) seen.set(cid.toString(), cid)
  return [...seen.values()]
}

function u32 (value: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, value)
  return out
}

function encodeRecord (record: UnitRecord): Uint8Array {
  const map: Record<string, unknown> = { v: 1, k: record.kind, h: record.height, n: record.children, lease: record.leaseUntil, pins: record.pins, at: record.storedAt, c: record.charged, p: record.provisional, g: record.grantedUntil }
  if (record.owner !== undefined) map.by = record.owner
  if (record.path !== undefined) map.r = record.path
  if (record.expires !== undefined) map.x = record.expires
  return dagCbor.encode(map)
}

function decodeRecord (bytes: Uint8Array): UnitRecord | undefined {
  try {
    const map = dagCbor.decode(bytes) as Record<string, unknown>
    if (map.v !== 1) return undefined
    return {
      kind: map.k as UnitRecord['kind'],
      height: map.h as number,
      children: map.n as number,
      leaseUntil: map.lease as number,
      pins: map.pins as number,
      storedAt: map.at as number,
      owner: typeof map.by === 'string' ? map.by : undefined,
      charged: typeof map.c === 'number' ? map.c : 0,
      provisional: map.p === true,
      grantedUntil: typeof map.g === 'number' ? map.g : map.lease as number,
      path: Array.isArray(map.r) ? map.r.map(cid => CID.asCID(cid)).filter((cid): cid is CID => cid !== null) : undefined,
      expires: typeof map.x === 'number' ? map.x : undefined
    }
  } catch {
    return undefined
  }
}
