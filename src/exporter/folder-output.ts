import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { AbortOptions } from '@libp2p/interface'
import { decodeFolderListing, type FolderEntry } from '../format/folder.js'
import { MAX_FOLDER_LISTING_SIZE } from '../format/limits.js'
import { InvalidManifestError, OutputError, ShareStructureError } from '../errors.js'
import type { BlockSource } from './source.js'
import { openShare, type OpenedShare } from './open-share.js'
import { readShare, type ReadShareOptions } from './read-share.js'
import { writeShareToFile, type FileOutputOptions, type FileOutputResult } from './file-output.js'

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

export interface FolderOutputResult {
  files: number
  folders: number
  bytesWritten: number
  resumedBlocks: number
}

/**
 * Recreate a folder share under `path`. Entry names were checked when the
 * listing was decoded (no separators, no "..") so nothing lands outside
 * `path`. Existing identical files are kept as they are, interrupted ones
 * resume, different ones are refused unless `overwrite`.
 */
export async function writeFolder (share: OpenedShare, source: BlockSource, path: string, options: FileOutputOptions = {}): Promise<FolderOutputResult> {
  const existing = await stat(path).catch(() => undefined)
  if (existing !== undefined && !existing.isDirectory()) {
    throw new OutputError(`${path} exists and is not a folder: choose another output path with -o`)
  }
  try {
    await mkdir(path, { recursive: true })
  } catch (err) {
    throw new OutputError(`cannot create folder ${path}: ${(err as Error).message}`, { cause: err })
  }
  const total: FolderOutputResult = { files: 0, folders: 1, bytesWritten: 0, resumedBlocks: 0 }
  for (const entry of await readFolderListing(share, source, options)) {
    options.signal?.throwIfAborted()
    const child = await openEntry(entry, source, options)
    const childPath = join(path, entry.name)
    if (entry.kind === 'folder') {
      const sub = await writeFolder(child, source, childPath, options)
      total.files += sub.files
      total.folders += sub.folders
      total.bytesWritten += sub.bytesWritten
      total.resumedBlocks += sub.resumedBlocks
    } else {
      const { offset: _o, length: _l, ...rest } = options
      const file: FileOutputResult = await writeShareToFile(child, source, childPath, rest)
      total.files++
      total.bytesWritten += file.bytesWritten
      total.resumedBlocks += file.resumedBlocks
    }
  }
  return total
}

/** Open a folder entry by its own link and check it is what the listing says. */
export async function openEntry (entry: FolderEntry, source: BlockSource, options: AbortOptions = {}): Promise<OpenedShare> {
  const child = await openShare({ cid: entry.cid, key: entry.key }, source, options)
  if (child.meta.kind !== entry.kind) {
    throw new ShareStructureError(`folder entry ${JSON.stringify(entry.name)} is listed as a ${entry.kind} but is a ${child.meta.kind}: the folder was altered`)
  }
  return child
}
