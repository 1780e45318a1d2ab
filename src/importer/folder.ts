import { readdir, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { CustomProgressEvent } from 'progress-events'
import { encodeFolderListing, type FolderEntry } from '../format/index.js'
import { InputError } from '../errors.js'
import type { BlockSink, ImportOptions } from './options.js'
import { checkImportName, importBytes, importFile, inputError } from './file.js'
import type { ShareResult } from './share-writer.js'

/** Deepest folder nesting followed (a guard against pathological trees). */
export const MAX_FOLDER_DEPTH = 64

export interface FolderResult extends ShareResult {
  /** Files shared under this folder, at any depth. */
  files: number
  /** Sum of the true sizes of those files. */
  totalSize: number
}

/**
 * Share a folder tree: every file becomes its own share (its own key), every
 * folder a listing share whose entries carry their children's links. Entries
 * are taken in name order so a convergent import is reproducible. Symbolic
 * links and special files are skipped and reported with a
 * `veil:import:skipped` progress event, never followed.
 */
export async function importFolder (path: string, sink: BlockSink, options: ImportOptions = {}): Promise<FolderResult> {
  try {
    const info = await stat(path)
    if (!info.isDirectory()) throw new InputError(`${path} is not a folder`)
  } catch (err) {
    throw err instanceof InputError ? err : inputError(path, err)
  }
  const name = options.name ?? basename(path)
  checkImportName(path, name)
  return await importTree(path, name, sink, options, 0)
}

async function importTree (path: string, name: string, sink: BlockSink, options: ImportOptions, depth: number): Promise<FolderResult> {
  if (depth > MAX_FOLDER_DEPTH) throw new InputError(`${path} is nested more than ${MAX_FOLDER_DEPTH} folders deep`)
  let dirents
  try {
    dirents = await readdir(path, { withFileTypes: true })
  } catch (err) {
    throw inputError(path, err)
  }
  dirents.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

  const entries: FolderEntry[] = []
  let files = 0
  let totalSize = 0
  for (const dirent of dirents) {
    options.signal?.throwIfAborted()
    const childPath = join(path, dirent.name)
    if (dirent.isFile() || dirent.isDirectory()) checkImportName(childPath, dirent.name)
    if (dirent.isFile()) {
      const child = await importFile(childPath, sink, { ...options, name: dirent.name, mediaType: undefined })
      entries.push({ name: dirent.name, kind: 'file', size: child.meta.size, cid: child.cid, key: child.key })
      files++
      totalSize += child.meta.size
    } else if (dirent.isDirectory()) {
      const child = await importTree(childPath, dirent.name, sink, options, depth + 1)
      entries.push({ name: dirent.name, kind: 'folder', size: child.totalSize, cid: child.cid, key: child.key })
      files += child.files
      totalSize += child.totalSize
    } else {
      const reason = dirent.isSymbolicLink() ? 'symbolic link (not followed)' : 'not a regular file or folder'
      options.onProgress?.(new CustomProgressEvent('veil:import:skipped', { path: childPath, reason }))
    }
  }

  const listing = encodeFolderListing(entries)
  const result = await importBytes(listing, sink, { ...options, name, kind: 'folder', mediaType: undefined })
  return { ...result, files, totalSize }
}
