import type { CID } from 'multiformats/cid'
import type { LevelBlockStore } from '../blockstore/index.js'
import { decodeUnitNode, type UnitNode } from '../format/index.js'
import type { UnitIndex, UnitRecord } from './unit-index.js'
import type { PeerUsage } from './peer-usage.js'

export interface GcResult {
  units: number
  blocks: number
  bytes: number
  /** Of those units, how many went because their share's hard expiry passed. */
  expired: number
}

/** What releasing a unit touches. Callers hold the storage node's serial queue. */
export interface EvictionDeps {
  store: LevelBlockStore
  index: UnitIndex
  /** Stop announcing a unit this node no longer holds. */
  forget: (unit: CID) => void
  /** Who was charged for what: a released unit's charge is refunded. */
  usage?: PeerUsage
}

export function emptyGcResult (): GcResult {
  return { units: 0, blocks: 0, bytes: 0, expired: 0 }
}

/**
 * Forget a unit and delete it with the content blocks no other held unit
 * lists. Does nothing to a unit that is pinned (or was meanwhile) or gone.
 * Must run inside the serial queue (reference counts are read-modify-write).
 */
export async function releaseUnit (deps: EvictionDeps, unit: CID, result: GcResult): Promise<void> {
  const { store, index } = deps
  const record = await index.get(unit)
  if (record === undefined || record.pins > 0) return
  const node = await readUnitNode(store, unit)
  const { ops, orphans } = await index.releaseOps(unit, node)
  await store.putMany([], { extraOps: ops })
  for (const cid of [...orphans, unit]) {
    const bytes = await store.byteLength(cid) ?? 0
    await store.delete(cid)
    result.blocks++
    result.bytes += bytes
  }
  if (record.owner !== undefined) deps.usage?.refund(record.owner, record.charged)
  deps.forget(unit)
  result.units++
}

/** Units whose lease has ended and that no pin holds (`provisional` ones only, if asked), the longest expired first. */
export async function expiredUnits (index: UnitIndex, now: number, onlyProvisional = false): Promise<Array<{ cid: CID, record: UnitRecord }>> {
  const expired: Array<{ cid: CID, record: UnitRecord }> = []
  for await (const entry of index.all()) {
    if (entry.record.pins === 0 && entry.record.leaseUntil <= now && (!onlyProvisional || entry.record.provisional)) expired.push(entry)
  }
  return expired.sort((a, b) => a.record.leaseUntil - b.record.leaseUntil)
}

/** Units whose hard expiry has passed and that no pin holds (deleted whatever room there is). */
export async function hardExpiredUnits (index: UnitIndex, now: number): Promise<CID[]> {
  const expired: CID[] = []
  for await (const { cid, record } of index.all()) {
    if (record.pins === 0 && record.expires !== undefined && record.expires <= now) expired.push(cid)
  }
  return expired
}

/** The next hard expiry of an unpinned unit, if any. */
export async function nextHardExpiry (index: UnitIndex): Promise<number | undefined> {
  let next: number | undefined
  for await (const { record } of index.all()) {
    if (record.pins === 0 && record.expires !== undefined && (next === undefined || record.expires < next)) next = record.expires
  }
  return next
}

/**
 * Make room: release expired, unpinned units, the longest expired first,
 * until usage is at most `target` bytes or none is left. Storage nodes keep
 * expired shares while they have room; this is the only way one goes.
 * Must run inside the serial queue.
 */
export async function evictExpired (deps: EvictionDeps, now: number, target: number, result: GcResult): Promise<void> {
  if ((await deps.store.size()).bytes <= target) return
  for (const { cid } of await expiredUnits(deps.index, now)) {
    await releaseUnit(deps, cid, result)
    if ((await deps.store.size()).bytes <= target) return
  }
}

export async function readUnitNode (store: LevelBlockStore, unit: CID): Promise<UnitNode | undefined> {
  try {
    return decodeUnitNode(await store.get(unit))
  } catch {
    return undefined
  }
}
