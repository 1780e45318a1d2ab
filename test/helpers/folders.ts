import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import { importBytes, type BlockSink, type ShareResult } from '../../src/index.js'

/** A folder entry as it goes on the wire, checked by nobody. */
export interface RawEntry {
  name: string
  kind: 'file' | 'folder'
  size: number
  cid: CID
  key: Uint8Array
}

/**
 * A folder share whose listing is written by hand, bypassing every check the
 * library's own writer makes — what a hostile sharer can publish. Entries
 * are sorted by name (decoders insist on it); anything else goes.
 */
export async function rawFolder (entries: RawEntry[], sink: BlockSink, name = 'folder'): Promise<ShareResult> {
  const sorted = [...entries].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  const listing = dagCbor.encode({ v: 1, t: 'dir', e: sorted.map(e => ({ n: e.name, k: e.kind, s: e.size, c: e.cid, key: e.key })) })
  return await importBytes(listing, sink, { name, kind: 'folder', blockSize: 64 * 1024 })
}
