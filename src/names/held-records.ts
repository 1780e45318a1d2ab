import * as dagCbor from '@ipld/dag-cbor'
import type { PeerId } from '@libp2p/interface'
import type { LevelBlockStore, StoreSublevel } from '../blockstore/index.js'
import { RefuseCode, type PushResult } from '../protocol/index.js'
import { compareNameRecords, decodeNameRecord, nameDhtKey, verifyNameRecord, type NameRecord } from './record.js'
import { MAX_HELD_RECORDS, MAX_HELD_RECORDS_PER_PEER } from './constants.js'

/*
 * The records a storage node keeps for others, to republish them until they
 * expire (at most 7 days after they were signed; publishers push re-signed
 * ones). A record comes alone: the node cannot read what it points to (its
 * value is sealed) and is not told, so it cannot link a name to a share it
 * holds. Bounded: one record per name (the newest), MAX_HELD_RECORDS_PER_PEER
 * names per pusher, MAX_HELD_RECORDS in all. In the block store's LevelDB:
 *
 *   names!<DHT key>  dag-cbor { v: 1, r: record, by: pusher peer id, at: ms }
 */

export interface HeldRecord {
  dhtKey: Uint8Array
  record: NameRecord
  owner: string
}

export class HeldRecords {
  private readonly names: StoreSublevel
  private readonly owners = new Map<string, number>()
  private total = 0
  private loaded = false
  /** Check-then-write of accept(), one at a time: concurrent pushes must not all pass the same count. */
  private writes: Promise<unknown> = Promise.resolve()

  constructor (private readonly store: LevelBlockStore, private readonly limits = { perPeer: MAX_HELD_RECORDS_PER_PEER, total: MAX_HELD_RECORDS }) {
    this.names = store.sublevel('names')
  }

  /** Count what is held per pusher (once, at start). */
  async load (): Promise<void> {
    if (this.loaded) return
    this.owners.clear()
    this.total = 0
    for await (const [, value] of this.names.iterator()) {
      const entry = decodeEntry(value)
      if (entry === undefined) continue
      this.count(entry.by, +1)
    }
    this.loaded = true
  }

  get size (): number {
    return this.total
  }

  /**
   * Keep `bytes`, pushed by `from`, if it is a valid record not older than
   * the one held for its name, and the pusher and the node have room.
   */
  async accept (from: PeerId, bytes: Uint8Array): Promise<PushResult> {
    await this.load()
    let record: NameRecord
    try {
      record = await verifyNameRecord(bytes)
    } catch (err) {
      return { ok: false, code: RefuseCode.Invalid, reason: (err as Error).message }
    }
    const dhtKey = await nameDhtKey(record.publicKey)
    const turn = this.writes.then(async () => await this.keep(from, bytes, record, dhtKey))
    this.writes = turn.catch(() => {})
    return await turn
  }

  private async keep (from: PeerId, bytes: Uint8Array, record: NameRecord, dhtKey: Uint8Array): Promise<PushResult> {
    const existing = await this.get(dhtKey)
    const owner = from.toString()
    if (existing !== undefined) {
      const order = compareNameRecords(record, existing.record)
      if (order < 0) return { ok: false, code: RefuseCode.Invalid, reason: `this node holds a newer record of that link (version ${existing.record.sequence})` }
      if (order === 0) return { ok: true }
    }
    const newForOwner = existing?.owner !== owner
    if (newForOwner && (this.owners.get(owner) ?? 0) >= this.limits.perPeer) {
      return { ok: false, code: RefuseCode.PeerQuota, reason: `this peer already has ${this.limits.perPeer} records kept here` }
    }
    if (existing === undefined && this.total >= this.limits.total) await this.prune(Date.now())
    if (existing === undefined && this.total >= this.limits.total) return { ok: false, code: RefuseCode.Quota, reason: `this node keeps at most ${this.limits.total} records` }
    await this.store.putMany([], { extraOps: [{ type: 'put', sublevel: this.names, key: dhtKey, value: dagCbor.encode({ v: 1, r: bytes, by: owner, at: Date.now() }) }], sync: true })
    if (existing !== undefined) this.count(existing.owner, -1)
    this.count(owner, +1)
    return { ok: true }
  }

  async get (dhtKey: Uint8Array): Promise<HeldRecord | undefined> {
    const value = await this.names.get(dhtKey)
    return value === undefined ? undefined : toHeld(dhtKey, value)
  }

  async * all (): AsyncGenerator<HeldRecord> {
    for await (const [key, value] of this.names.iterator()) {
      const held = toHeld(key, value)
      if (held !== undefined) yield held
    }
  }

  /** Drop every record that has expired; resolves with how many. */
  async prune (now: number): Promise<number> {
    let dropped = 0
    for await (const held of this.all()) {
      if (held.record.validUntil > now) continue
      await this.drop(held)
      dropped++
    }
    return dropped
  }

  async drop (held: HeldRecord): Promise<void> {
    await this.store.putMany([], { extraOps: [{ type: 'del', sublevel: this.names, key: held.dhtKey }] })
    this.count(held.owner, -1)
  }

  private count (owner: string, delta: number): void {
    const left = (this.owners.get(owner) ?? 0) + delta
    if (left <= 0) this.owners.delete(owner)
    else this.owners.set(owner, left)
    this.total = Math.max(0, this.total + delta)
  }
}

interface Entry { r: Uint8Array, by: string }

function decodeEntry (value: Uint8Array): Entry | undefined {
  try {
    const map = dagCbor.decode<Record<string, unknown>>(value)
    if (map.v !== 1 || !(map.r instanceof Uint8Array) || typeof map.by !== 'string') return undefined
    return { r: map.r, by: map.by }
  } catch {
    return undefined
  }
}

function toHeld (dhtKey: Uint8Array, value: Uint8Array): HeldRecord | undefined {
  const entry = decodeEntry(value)
  if (entry === undefined) return undefined
  try {
    return { dhtKey, record: decodeNameRecord(entry.r), owner: entry.by }
  } catch {
    return undefined
  }
}
