import type { AbortOptions } from '@libp2p/interface'
import { decodeFolderListing, type FolderEntry, MAX_FOLDER_LISTING_SIZE, visibleName } from '../format/index.js'
import { FolderLimitError, InvalidManifestError, InvalidOptionError, ShareStructureError } from '../errors.js'
import type { BlockSource } from '../blockstore/index.js'
import { openShare, type OpenedShare } from './open-share.js'
import { readShare, type ReadShareOptions } from './read-share.js'

/*
 * A folder share is a DAG: any listing may name the same child folder (or
 * file) any number of times, at any depth, so a few kilobytes of listings can
 * stand for millions of files (measured: 46 KB of blocks made `veil get`
 * write 9,200+ files before it was stopped). Before writing anything, a fetch
 * walks every listing, counts what the folder would write — each reference
 * counted, however often it repeats — and checks the counts and each entry's
 * declared size against limits; only then does it say how much it will write
 * and start. Listings are read once each (a repeated child folder is kept,
 * not re-fetched), so a bomb costs no more memory than its distinct listings.
 */

export interface FolderLimits {
  /** Files and folders one fetch may write, at any depth. Default 100 000. */
  maxEntries?: number
  /** Deepest folder nesting below the shared folder. Default 64 (what sharing follows). */
  maxDepth?: number
  /** Total of the files' declared sizes. Default 1 TiB. */
  maxBytes?: number
}

export type ResolvedFolderLimits = Required<FolderLimits>

export const DEFAULT_FOLDER_LIMITS: ResolvedFolderLimits = { maxEntries: 100_000, maxDepth: 64, maxBytes: 2 ** 40 }

/** Resolve and check limits (from the library, the CLI or the daemon's JSON). */
export function resolveFolderLimits (limits: FolderLimits | undefined): ResolvedFolderLimits {
  const out = { ...DEFAULT_FOLDER_LIMITS }
  for (const key of ['maxEntries', 'maxDepth', 'maxBytes'] as const) {
    const value = limits?.[key]
    if (value === undefined) continue
    if (!Number.isSafeInteger(value) || value < 0) throw new InvalidOptionError(`folder limit ${key} must be a whole number ≥ 0, not ${String(value)}`)
    out[key] = value
  }
  return out
}

/** Read and decode a folder share's listing (bounded: it is held in memory). */
export async function readFolderListing (share: OpenedShare, source: BlockSource, options: ReadShareOptions = {}): Promise<FolderEntry[]> {
  if (share.meta.kind !== 'folder') throw new ShareStructureError('this link is a file, not a folder')
  if (share.meta.size > MAX_FOLDER_LISTING_SIZE) throw new InvalidManifestError(`the folder listing is ${share.meta.size} bytes, over the ${MAX_FOLDER_LISTING_SIZE}-byte limit`)
  const listing = new Uint8Array(share.meta.size)
  let offset = 0
  for await (const chunk of readShare(share, source, { signal: options.signal, concurrency: options.concurrency, opener: options.opener })) {
    listing.set(chunk, offset)
    offset += chunk.length
  }
  return decodeFolderListing(listing)
}

/** A folder of the plan: its opened share and its (checked) listing. */
export interface PlannedFolder {
  share: OpenedShare
  entries: FolderEntry[]
}

export interface FolderPlan {
  root: PlannedFolder
  /** Every folder listing the plan reads, by root CID (a repeated folder once). */
  folders: Map<string, PlannedFolder>
  /** What writing it makes, each reference counted. */
  files: number
  /** Folders below the shared one. */
  subfolders: number
  bytes: number
  depth: number
}

/**
 * Walk a folder share's listings and check it against `limits` before any
 * byte is written: FolderLimitError when it holds too much, ShareStructureError
 * when an entry's declared size disagrees with what it holds.
 */
export async function planFolder (share: OpenedShare, source: BlockSource, limits: ResolvedFolderLimits, options: ReadShareOptions = {}): Promise<FolderPlan> {
  const folders = new Map<string, PlannedFolder>()
  const plan: FolderPlan = { root: { share, entries: [] }, folders, files: 0, subfolders: 0, bytes: 0, depth: 0 }
  const listingOf = async (opened: OpenedShare): Promise<PlannedFolder> => {
    const folder = { share: opened, entries: await readFolderListing(opened, source, options) }
    folders.set(opened.cid.toString(), folder)
    return folder
  }
  // A folder named again (with the same key) is neither re-opened nor re-read.
  const folderOf = async (entry: FolderEntry): Promise<PlannedFolder> => {
    const known = folders.get(entry.cid.toString())
    if (known !== undefined && Buffer.from(known.share.key).equals(entry.key)) return known
    return await listingOf(await openFolderEntry(entry, source, options))
  }
  const visit = async (folder: PlannedFolder, depth: number, where: string): Promise<void> => {
    plan.depth = Math.max(plan.depth, depth)
    for (const entry of folder.entries) {
      options.signal?.throwIfAborted()
      const path = where === '' ? entry.name : `${where}/${entry.name}`
      if (plan.files + plan.subfolders + 1 > limits.maxEntries) {
        throw new FolderLimitError(`this folder holds more than ${limits.maxEntries} files and folders, the limit for one fetch: if you expect that many, pass --max-entries with a higher number`)
      }
      if (entry.size > limits.maxBytes - plan.bytes) {
        throw new FolderLimitError(`this folder holds more than ${limits.maxBytes} bytes (at ${visibleName(path)}), the limit for one fetch: if you expect that much, pass --max-size with a larger size`)
      }
      if (entry.kind === 'file') {
        plan.files++
        plan.bytes += entry.size
        continue
      }
      plan.subfolders++
      if (depth + 1 > limits.maxDepth) {
        throw new FolderLimitError(`this folder nests folders more than ${limits.maxDepth} deep (at ${visibleName(path)}), the limit for one fetch: pass --max-depth with a higher number to allow it`)
      }
      const child = await folderOf(entry)
      const declared = child.entries.reduce((sum, e) => sum + e.size, 0)
      if (declared !== entry.size) {
        throw new ShareStructureError(`folder ${visibleName(path)} is listed as holding ${entry.size} bytes but its entries add up to ${declared}: the folder was altered`)
      }
      await visit(child, depth + 1, path)
    }
  }
  plan.root = await listingOf(share)
  await visit(plan.root, 0, '')
  return plan
}

/** Open a folder entry by its own link and check it is what the listing says. */
export async function openFolderEntry (entry: FolderEntry, source: BlockSource, options: AbortOptions = {}): Promise<OpenedShare> {
  const child = await openShare({ cid: entry.cid, key: entry.key }, source, options)
  if (child.meta.kind !== entry.kind) {
    throw new ShareStructureError(`folder entry ${visibleName(entry.name)} is listed as a ${entry.kind} but is a ${child.meta.kind}: the folder was altered`)
  }
  if (entry.kind === 'file' && child.meta.size !== entry.size) {
    throw new ShareStructureError(`file ${visibleName(entry.name)} is listed as ${entry.size} bytes but holds ${child.meta.size}: the folder was altered`)
  }
  return child
}
