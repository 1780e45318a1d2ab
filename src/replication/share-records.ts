import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import type { LevelBlockStore, StoreSublevel } from '../blockstore/index.js'

/**
 * The shares this repo made, so that the sharer's node can renew their
 * leases while it runs (and `veil renew` can, with no link) without the
 * keys: each record lists every unit of the share — a folder's entries
 * included — by CID, which is public.
 *
 *   shares!<root cid>  { v: 1, at: ms, renewed: ms, kept: ms | 0, units: [cid…], [x: hard expiry ms] }
 */
export interface ShareRecord {
  root: CID
  /** When it was shared (ms since the epoch). */
  sharedAt: number
  /** When its leases were last renewed (or placed). */
  renewedAt: number
  /** Every copy placed or renewed then is kept at least until this time; 0 when none was. */
  keptUntil: number
  units: CID[]
  /** The share was made to expire then (ms since the epoch): it is not renewed past it. */
  expires?: number
}

export class ShareRecords {
  private readonly shares: StoreSublevel

  constructor (private readonly store: LevelBlockStore) {
    this.shares = store.sublevel('shares')
  }

  async put (record: ShareRecord): Promise<void> {
    await this.store.putMany([], { extraOps: [{ type: 'put', sublevel: this.shares, key: record.root.bytes, value: encode(record) }] })
  }

  async delete (root: CID): Promise<void> {
    await this.store.putMany([], { extraOps: [{ type: 'del', sublevel: this.shares, key: root.bytes }] })
  }

  async get (root: CID): Promise<ShareRecord | undefined> {
    const bytes = await this.shares.get(root.bytes)
    return bytes === undefined ? undefined : decode(root, bytes)
  }

  async * all (): AsyncGenerator<ShareRecord> {
    for await (const [key, value] of this.shares.iterator()) {
      let root: CID
      try {
        root = CID.decode(key)
      } catch {
        continue
      }
      const record = decode(root, value)
      if (record !== undefined) yield record
    }
  }
}

function encode (record: ShareRecord): Uint8Array {
  const map: Record<string, unknown> = { v: 1, at: record.sharedAt, renewed: record.renewedAt, kept: record.keptUntil, units: record.units }
  if (record.expires !== undefined) map.x = record.expires
  return dagCbor.encode(map)
}

function decode (root: CID, bytes: Uint8Array): ShareRecord | undefined {
  try {
    const map = dagCbor.decode(bytes) as Record<string, unknown>
    if (map.v !== 1 || !Array.isArray(map.units)) return undefined
    const units = map.units.map(unit => CID.asCID(unit)).filter((unit): unit is CID => unit !== null)
    return { root, sharedAt: Number(map.at), renewedAt: Number(map.renewed), keptUntil: Number(map.kept), units, ...(typeof map.x === 'number' ? { expires: map.x } : {}) }
  } catch {
    return undefined
  }
}
