/**
 * What keeps shares on a node and what lets them go: pin (every share a
 * link reaches, a folder's entries included), unpin, renew leases, and
 * garbage-collect the repo. VeilNode's methods of the same names call these.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { CustomProgressEvent, type ProgressEvent } from 'progress-events'
import { type BlockSource, type BlockStore, LevelBlockStore } from '../blockstore/index.js'
import { shareRoots } from '../exporter/index.js'
import { collectRepo, PinSet, shareUnits, type CopyShareResult, type RenewSummary, type RepoGcResult, type ShareKeeper, type StorageService } from '../replication/index.js'
import { NotPinnedError } from '../errors.js'

/** Pinning: `start` once the shares a link reaches are known, `block` for each block copied. */
export type PinProgressEvents =
  ProgressEvent<'veil:pin:start', { shares: number }> |
  ProgressEvent<'veil:pin:block', { bytes: number }>

export interface PinOptions extends AbortOptions {
  onProgress?: (event: PinProgressEvents) => void
}

export interface PinResult {
  /** Shares pinned: the link's own, and each entry of a folder. */
  shares: number
  units: number
  /** Blocks and bytes copied to this node (those it held already are not counted). */
  blocks: number
  bytes: number
}

/** What these need of the node. */
export interface KeepingNode {
  readonly store: BlockStore
  readonly storage: StorageService | undefined
  readonly keeper: ShareKeeper
  fetcher(): BlockSource
  hold(root: CID, options: AbortOptions & { onBlock?: (bytes: number) => void }): Promise<CopyShareResult>
  readUnit(cid: CID, options?: AbortOptions): Promise<Uint8Array>
}

function pinsOf (node: KeepingNode): PinSet | undefined {
  return node.store instanceof LevelBlockStore ? new PinSet(node.store) : undefined
}

async function rootsOf (node: KeepingNode, link: { cid: CID, key?: Uint8Array }, options: AbortOptions): Promise<CID[]> {
  const roots: CID[] = []
  for await (const root of shareRoots(link, node.fetcher(), options)) roots.push(root)
  return roots
}

/**
 * Pin every share a link reaches — its own and, for a folder link with its
 * key, every entry's (a verify-only link reaches only its own) — copying
 * every block here. On a storage node the pins are counted on each unit and
 * pinned units are never collected; on any node with a repo, `veil gc`
 * never removes them.
 */
export async function pinLink (node: KeepingNode, link: { cid: CID, key?: Uint8Array }, options: PinOptions = {}): Promise<PinResult> {
  const roots = await rootsOf(node, link, options)
  options.onProgress?.(new CustomProgressEvent('veil:pin:start', { shares: roots.length }))
  const result: PinResult = { shares: roots.length, units: 0, blocks: 0, bytes: 0 }
  const onBlock = (bytes: number): void => {
    result.blocks++
    result.bytes += bytes
    options.onProgress?.(new CustomProgressEvent('veil:pin:block', { bytes }))
  }
  const pins = pinsOf(node)
  for (const [i, root] of roots.entries()) {
    const given = i === 0
    if (node.storage !== undefined) {
      result.units += (await node.storage.pin(root, node.fetcher(), { ...options, given, onBlock })).units
    } else {
      result.units += (await node.hold(root, { ...options, onBlock })).units
      await pins?.set(root, true, given)
    }
  }
  return result
}

/** Unpin every share a link reaches; NotPinnedError when none of them was pinned here. */
export async function unpinLink (node: KeepingNode, link: { cid: CID, key?: Uint8Array }, options: AbortOptions = {}): Promise<{ shares: number, units: number }> {
  const pins = pinsOf(node)
  let shares = 0
  let units = 0
  for (const root of await rootsOf(node, link, options)) {
    if (node.storage !== undefined) {
      const result = await node.storage.unpin(root, node.fetcher(), options)
      if (result.wasPinned) shares++
      units += result.units
    } else if (pins !== undefined && await pins.has(root)) {
      await pins.set(root, false)
      shares++
    }
  }
  if (shares === 0) throw new NotPinnedError(link.cid.toString())
  return { shares, units }
}

/** The shares pinned on this node by their own link (folder entries are pinned with their folder). */
export async function pinnedShares (node: KeepingNode): Promise<CID[]> {
  const roots: CID[] = []
  for await (const { root, given } of pinsOf(node)?.all() ?? []) if (given) roots.push(root)
  return roots
}

/**
 * Renew the leases of a share on every holder that proves it holds it: a
 * link (with its key, a folder's entries too; a verify-only link reaches
 * only its own units), or — with no link — every share this repo made.
 */
export async function renewLink (node: KeepingNode, link: { cid: CID, key?: Uint8Array } | undefined, options: AbortOptions = {}): Promise<Array<RenewSummary & { root: CID }>> {
  if (link === undefined) return await node.keeper.renewRecorded(options)
  const results: Array<RenewSummary & { root: CID }> = []
  for (const root of await rootsOf(node, link, options)) {
    const units = []
    for await (const unit of shareUnits(root, async (cid, opts) => await node.readUnit(cid, opts), options)) units.push(unit)
    results.push({ ...await node.keeper.renew(units, options), root })
  }
  return results
}

/** `veil gc` on a running node: see collectRepo; a storage node's pushes under way are left alone. */
export async function collectGarbage (node: KeepingNode, options: AbortOptions = {}): Promise<RepoGcResult> {
  const store = node.store
  if (!(store instanceof LevelBlockStore)) return { blocks: 0, bytes: 0, kept: (await store.size()).blocks }
  const storage = node.storage
  if (storage === undefined) return await collectRepo(store, options)
  return await storage.exclusive(async () => await collectRepo(store, { ...options, pending: cid => storage.acceptor.pending.has(cid) }))
}
