import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { ShareLink } from '../link/index.js'
import { MAX_FOLDER_ENTRIES } from '../format/index.js'
import { InvalidManifestError } from '../errors.js'
import type { BlockSource } from '../blockstore/index.js'
import { openShare } from './open-share.js'
import { readFolderListing } from './folder-plan.js'

/** Folders nested deeper than this are refused (no real tree comes close). */
export const MAX_FOLDER_DEPTH = 64

/**
 * The root CIDs of every share a link reaches: its own, and — for a folder
 * link with its key — those of every entry, sub-folders included (each
 * entry is a share of its own, placed and leased on its own). A verify-only
 * link reaches only its own root: a folder's listing is sealed. Bounded in
 * depth and in entries, so a hostile listing cannot make it walk forever.
 */
export async function * shareRoots (link: { cid: CID, key?: Uint8Array }, source: BlockSource, options: AbortOptions = {}): AsyncGenerator<CID> {
  yield link.cid
  if (link.key === undefined) return
  let entries = 0
  const pending: Array<{ link: ShareLink, depth: number }> = [{ link: { cid: link.cid, key: link.key }, depth: 0 }]
  while (pending.length > 0) {
    const { link: folder, depth } = pending.pop()!
    const share = await openShare(folder, source, options)
    if (share.meta.kind !== 'folder') continue
    if (depth >= MAX_FOLDER_DEPTH) throw new InvalidManifestError(`the folder is nested more than ${MAX_FOLDER_DEPTH} levels deep`)
    for (const entry of await readFolderListing(share, source, options)) {
      if (++entries > MAX_FOLDER_ENTRIES) throw new InvalidManifestError(`the folder holds more than ${MAX_FOLDER_ENTRIES} entries`)
      yield entry.cid
      if (entry.kind === 'folder') pending.push({ link: { cid: entry.cid, key: entry.key }, depth: depth + 1 })
    }
  }
}
