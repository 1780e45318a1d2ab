import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { LevelBlockStore } from '../blockstore/index.js'
import { readUnitNode } from './eviction.js'
import { UnitIndex } from './unit-index.js'
import { PinSet } from './pin-set.js'
import { ShareRecords } from './share-records.js'

export interface RepoGcResult {
  /** Blocks and bytes removed. */
  blocks: number
  bytes: number
  /** Blocks kept: pinned, shared by this repo, or held for the swarm under a lease. */
  kept: number
}

/**
 * `veil gc`: remove from a repo's store every block that nothing keeps —
 * no pin, no share this repo made (recorded by ShareRecords), no unit a
 * storage node holds for the swarm, no push still under way (`pending`).
 * What an interrupted share left in a light client's repo goes this way.
 */
export async function collectRepo (store: LevelBlockStore, options: AbortOptions & { pending?: (cid: CID) => boolean } = {}): Promise<RepoGcResult> {
  const keep = new Set<string>()
  const keepUnit = async (unit: CID, deep: boolean): Promise<void> => {
    if (keep.has(unit.toString())) return
    keep.add(unit.toString())
    const node = await readUnitNode(store, unit)
    if (node === undefined) return
    if (node.height === 0) for (const block of node.children) keep.add(block.toString())
    else if (deep) for (const child of node.children) await keepUnit(child, deep)
  }
  // Units held for the swarm (each listed in the index), pinned shares (their whole tree), shares this repo made (every unit recorded).
  for await (const { cid } of new UnitIndex(store).all()) await keepUnit(cid, false)
  for await (const { root } of new PinSet(store).all()) await keepUnit(root, true)
  for await (const record of new ShareRecords(store).all()) for (const unit of record.units) await keepUnit(unit, false)

  const result: RepoGcResult = { blocks: 0, bytes: 0, kept: 0 }
  const doomed: CID[] = []
  for await (const cid of store.cids(options)) {
    if (keep.has(cid.toString()) || options.pending?.(cid) === true) result.kept++
    else doomed.push(cid)
  }
  for (const cid of doomed) {
    options.signal?.throwIfAborted()
    const bytes = await store.byteLength(cid)
    if (bytes === undefined) continue
    await store.delete(cid)
    result.blocks++
    result.bytes += bytes
  }
  return result
}
