import type { Writable } from 'node:stream'
import { CustomProgressEvent } from 'progress-events'
import type { CID } from 'multiformats/cid'
import { InvalidRangeError, OutputError } from '../errors.js'
import { parseShareLink, type ShareLink } from '../link/index.js'
import type { ShareKind } from '../format/index.js'
import type { BlockSource } from '../blockstore/index.js'
import { openShare } from './open-share.js'
import { writeShareToFile, writeShareToStream, type FileOutputOptions } from './file-output.js'
import { checkFolder, writeFolderPlan } from './folder-output.js'
import type { FolderLimits } from './folder-plan.js'
import type { ExportProgressEvents } from './events.js'

export type { ExportProgressEvents } from './events.js'

export interface ExportOptions extends Omit<FileOutputOptions, 'onProgress' | 'firstBlock'> {
  /** A file path (a folder path for folder shares) or a writable stream. */
  output: string | Writable
  onProgress?: (event: ExportProgressEvents) => void
  /** Caps on what a folder share may write (entries, depth, bytes); defaults in DEFAULT_FOLDER_LIMITS. */
  folderLimits?: FolderLimits
}

export interface ExportResult {
  cid: CID
  name: string
  kind: ShareKind
  mediaType: string
  /** True size of the share (a folder's: its listing). */
  size: number
  bytesWritten: number
  resumedBlocks: number
  alreadyComplete: boolean
  files: number
}

/**
 * Fetch a share by link from `source` and write it out: a file share to a
 * path or stream (optionally a byte range), a folder share to a folder.
 */
export async function exportShare (link: ShareLink | string, source: BlockSource, options: ExportOptions): Promise<ExportResult> {
  const parsed = typeof link === 'string' ? parseShareLink(link) : link
  const share = await openShare(parsed, source, options)
  const { meta } = share
  const start = (): void => { options.onProgress?.(new CustomProgressEvent('veil:export:start', { name: meta.name, kind: meta.kind, size: meta.size, blocks: share.root.blockCount })) }
  const base = { cid: share.cid, name: meta.name, kind: meta.kind, mediaType: meta.mediaType, size: meta.size }

  if (meta.kind === 'folder') {
    if (options.offset !== undefined || options.length !== undefined) throw new InvalidRangeError('a byte range applies to files, not folders')
    if (typeof options.output !== 'string') throw new OutputError('a folder cannot be written to a stream: give a folder path with -o')
    // The whole tree is read and checked (and its size told) before anything is written.
    const plan = await checkFolder(share, source, options)
    start()
    const result = await writeFolderPlan(plan, source, options.output, options)
    return { ...base, bytesWritten: result.bytesWritten, resumedBlocks: result.resumedBlocks, alreadyComplete: false, files: result.files }
  }
  start()
  if (typeof options.output === 'string') {
    const result = await writeShareToFile(share, source, options.output, options)
    return { ...base, ...result, files: 1 }
  }
  const bytesWritten = await writeShareToStream(share, source, options.output, options)
  return { ...base, bytesWritten, resumedBlocks: 0, alreadyComplete: false, files: 1 }
}

export { openShare, readRoot, type OpenedShare } from './open-share.js'
export { readShare, readShareBlocks, resolveRange, openBlockOffThread, poolOpener, type BlockOpener, type ReadShareOptions, type ReadProgressEvents } from './read-share.js'
export { readFolderListing, openEntry, writeFolder, checkFolder } from './folder-output.js'
export { planFolder, resolveFolderLimits, DEFAULT_FOLDER_LIMITS, type FolderLimits, type FolderPlan } from './folder-plan.js'
export { isLocalCopy } from './local-copy.js'
export { shareRoots, MAX_FOLDER_DEPTH } from './share-roots.js'
export { isIntegrityError } from './file-output.js'
export { partPath, statePath, loadResumeState, type ResumeState } from './resume-state.js'
