import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { CustomProgressEvent } from 'progress-events'
import { OutputError } from '../errors.js'
import type { BlockSource } from '../blockstore/index.js'
import type { OpenedShare } from './open-share.js'
import { writeShareToFile, type FileOutputOptions, type FileOutputResult } from './file-output.js'
import { openFolderEntry, planFolder, resolveFolderLimits, type FolderLimits, type FolderPlan, type PlannedFolder } from './folder-plan.js'
import type { ExportProgressEvents } from './events.js'

export { readFolderListing, openFolderEntry as openEntry } from './folder-plan.js'

export interface FolderOutputOptions extends Omit<FileOutputOptions, 'onProgress'> {
  /** Caps on what one folder fetch may write (see folder-plan.ts). */
  folderLimits?: FolderLimits
  onProgress?: (event: ExportProgressEvents) => void
}

export interface FolderOutputResult {
  files: number
  folders: number
  bytesWritten: number
  resumedBlocks: number
}

/**
 * Recreate a folder share under `path`. First the whole tree's listings are
 * read and checked against the limits (planFolder), and a
 * `veil:export:folder` event says how many files, folders and bytes it
 * holds; only then is anything written. Entry names were checked when each
 * listing was decoded (no separators, no "..", no control characters), so
 * nothing lands outside `path`. Existing identical files are kept as they
 * are, interrupted ones resume, different ones are refused unless `overwrite`.
 */
export async function writeFolder (share: OpenedShare, source: BlockSource, path: string, options: FolderOutputOptions = {}): Promise<FolderOutputResult> {
  return await writeFolderPlan(await checkFolder(share, source, options), source, path, options)
}

/** Plan a folder fetch and say what it holds: the first half of writeFolder. */
export async function checkFolder (share: OpenedShare, source: BlockSource, options: FolderOutputOptions = {}): Promise<FolderPlan> {
  const plan = await planFolder(share, source, resolveFolderLimits(options.folderLimits), options)
  options.onProgress?.(new CustomProgressEvent('veil:export:folder', { files: plan.files, folders: plan.subfolders, bytes: plan.bytes, depth: plan.depth }))
  return plan
}

/** Write a checked plan under `path`: the second half of writeFolder. */
export async function writeFolderPlan (plan: FolderPlan, source: BlockSource, path: string, options: FolderOutputOptions = {}): Promise<FolderOutputResult> {
  const total: FolderOutputResult = { files: 0, folders: 0, bytesWritten: 0, resumedBlocks: 0 }
  await writePlanned(plan, plan.root, source, path, options, total)
  return total
}

async function writePlanned (plan: FolderPlan, folder: PlannedFolder, source: BlockSource, path: string, options: FolderOutputOptions, total: FolderOutputResult): Promise<void> {
  await makeFolder(path)
  total.folders++
  const { offset: _o, length: _l, folderLimits: _f, ...fileOptions } = options
  for (const entry of folder.entries) {
    options.signal?.throwIfAborted()
    const childPath = join(path, entry.name)
    if (entry.kind === 'folder') {
      // Every folder was read and checked while planning.
      await writePlanned(plan, plan.folders.get(entry.cid.toString())!, source, childPath, options, total)
      continue
    }
    const child = await openFolderEntry(entry, source, options)
    const file: FileOutputResult = await writeShareToFile(child, source, childPath, fileOptions)
    total.files++
    total.bytesWritten += file.bytesWritten
    total.resumedBlocks += file.resumedBlocks
  }
}

async function makeFolder (path: string): Promise<void> {
  const existing = await stat(path).catch(() => undefined)
  if (existing !== undefined && !existing.isDirectory()) {
    throw new OutputError(`${path} exists and is not a folder: choose another output path with -o`)
  }
  try {
    await mkdir(path, { recursive: true })
  } catch (err) {
    throw new OutputError(`cannot create folder ${path}: ${(err as Error).message}`, { cause: err })
  }
}
