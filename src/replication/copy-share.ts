import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { type Block, type BlockStore, loadTreeNode, type BlockSource } from '../blockstore/index.js'
import { decodeRoot, walkTreeNodes, type NodeRef, verifyBlockAsync } from '../format/index.js'
import { orderedWindow } from '../util/index.js'

export interface CopyShareOptions extends AbortOptions {
  /** Blocks fetched at once. Default 16. */
  window?: number
  /** Durable writes (storage nodes acknowledge only durable data). Default false. */
  sync?: boolean
  /** Told when every block of a unit (and its node) is in the store. */
  onUnit?: (unit: NodeRef) => Promise<void> | void
  /** Told of each content block copied (its size). */
  onBlock?: (bytes: number) => void
}

export interface CopyShareResult {
  units: number
  blocks: number
  bytes: number
}

/**
 * Copy every block of a share into `store` from `source`, unit by unit,
 * knowing only its root CID — the verify-only capability is enough, no key
 * is needed (the tree is public). Blocks already held are not fetched again.
 * This is how a node pins a share and how repair re-creates lost copies.
 */
export async function copyShare (root: CID, source: BlockSource, store: BlockStore, options: CopyShareOptions = {}): Promise<CopyShareResult> {
  const result: CopyShareResult = { units: 0, blocks: 0, bytes: 0 }
  const rootBytes = await fetchBlock(root, root, source, store, options)
  const rootNode = decodeRoot(rootBytes)
  const loadNode = async (cid: CID, height: number, opts?: AbortOptions): Promise<Awaited<ReturnType<typeof loadTreeNode>>> => {
    // Store each inner node as it is read: it is part of its unit.
    const node = await loadTreeNode({ get: async (c, o) => await fetchBlock(c, c, source, store, { ...options, ...o }) }, cid, height, opts)
    return node
  }

  const copyUnit = async (unit: NodeRef): Promise<void> => {
    if (unit.height === 0) {
      const tasks = unit.children.map(cid => async () => await fetchBlockCounted(cid, unit.cid, source, store, result, options))
      // Refilled half a window at a time, so the blocks asked together share WANTs (as a fetch's are).
      const window = options.window ?? 16
      for await (const _ of orderedWindow(tasks, window, Math.max(1, Math.floor(window / 2)))) { /* stored as they arrive */ }
    }
    result.units++
    await options.onUnit?.(unit)
  }

  for await (const unit of walkTreeNodes(rootNode, loadNode, options)) await copyUnit(unit)
  // The root is a unit too (and holds the blocks itself when folded).
  await copyUnit({ cid: root, height: rootNode.height, children: rootNode.children, firstBlock: 0 })
  await store.put({ cid: root, bytes: rootBytes }, { sync: options.sync })
  return result
}

async function fetchBlockCounted (cid: CID, unit: CID, source: BlockSource, store: BlockStore, result: CopyShareResult, options: CopyShareOptions): Promise<void> {
  if (await store.has(cid, options)) return
  const bytes = await fetchBlock(cid, unit, source, store, options)
  result.blocks++
  result.bytes += bytes.length
  options.onBlock?.(bytes.length)
}

async function fetchBlock (cid: CID, unit: CID, source: BlockSource, store: BlockStore, options: CopyShareOptions): Promise<Uint8Array> {
  const bytes = await source.get(cid, { signal: options.signal, segment: unit })
  await verifyBlockAsync(cid, bytes)
  const block: Block = { cid, bytes }
  await store.put(block, { sync: options.sync, signal: options.signal })
  return bytes
}
