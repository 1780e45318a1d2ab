import { open, rename, stat, rm } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { CustomProgressEvent, type ProgressEvent } from 'progress-events'
import { OutputError, OutputExistsError, VeilError } from '../errors.js'
import type { BlockSource } from '../blockstore/index.js'
import { exportLog, type OpenedShare } from './open-share.js'
import { readShare, readShareBlocks, resolveRange, type ReadProgressEvents, type ReadShareOptions } from './read-share.js'
import { isLocalCopy, verifiedPrefix } from './local-copy.js'
import { BackgroundFlush } from './background-flush.js'
import { loadResumeState, partPath, removeResumeFiles, saveResumeState, statePath, type ResumeState } from './resume-state.js'

/** A resumed fetch starts at `bytes` (the first `blocks` blocks were already written and verified). */
export type ResumeProgressEvents = ProgressEvent<'veil:export:resumed', { blocks: number, bytes: number }>

export interface FileOutputOptions extends Omit<ReadShareOptions, 'onProgress'> {
  onProgress?: (event: ReadProgressEvents | ResumeProgressEvents) => void
  /** Replace an existing, different file. Default false. */
  overwrite?: boolean
  /** Save progress every this many blocks (for resuming). Default 32. */
  checkpointBlocks?: number
}

export interface FileOutputResult {
  /** Bytes of plaintext written by this call. */
  bytesWritten: number
  /** Blocks skipped because an earlier, interrupted run had written them. */
  resumedBlocks: number
  /** The output already held exactly this share; nothing was fetched. */
  alreadyComplete: boolean
}

/** Start a background fdatasync after this many bytes written. */
const FLUSH_EVERY = 16 * 1024 * 1024

/** Errors that mean the share itself is bad: its partial output is worthless. */
const INTEGRITY_ERRORS = new Set(['BlockAuthenticationError', 'ShareStructureError', 'InvalidManifestError', 'BlockHashMismatchError', 'KeyMismatchError', 'UnsupportedVersionError'])

export function isIntegrityError (err: unknown): boolean {
  return err instanceof VeilError && INTEGRITY_ERRORS.has(err.name)
}

function outputError (path: string, err: unknown): OutputError {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new OutputError(`cannot write ${path}: permission denied; choose another output path with -o`, { cause: err })
  if (code === 'ENOENT') return new OutputError(`cannot write ${path}: its folder does not exist; create it or choose another output path`, { cause: err })
  if (code === 'ENOSPC') return new OutputError(`cannot write ${path}: the disk is full; free space and run the same command again to resume`, { cause: err })
  if (code === 'EISDIR') return new OutputError(`cannot write ${path}: it is a folder; give a file path`, { cause: err })
  return new OutputError(`cannot write ${path}: ${(err as Error).message}`, { cause: err })
}

/**
 * Write a file share (or a range of it) to `path`. Blocks go to
 * `<path>.veil-part` in order, with a checkpoint in `<path>.veil-state` every
 * few blocks; the part file is renamed into place only once every block has
 * been verified. An interrupted run resumes from the checkpoint; a share that
 * proves damaged leaves nothing behind.
 */
export async function writeShareToFile (share: OpenedShare, source: BlockSource, path: string, options: FileOutputOptions = {}): Promise<FileOutputResult> {
  const { meta, root } = share
  const log = exportLog(options)
  const range = resolveRange(meta.size, options)
  const whole = range.offset === 0 && range.length === meta.size

  const existing = await stat(path).catch(() => undefined)
  if (existing !== undefined) {
    if (existing.isDirectory()) throw new OutputError(`${path} is a folder: give a file path with -o`)
    if (whole && existing.isFile() && await isLocalCopy(path, share, source, options)) {
      await removeResumeFiles(path)
      return { bytesWritten: 0, resumedBlocks: 0, alreadyComplete: true }
    }
    if (options.overwrite !== true) throw new OutputExistsError(`${path} already exists and is not this share: choose another path with -o, or pass --force to replace it`)
  }

  const part = partPath(path)
  let state = whole ? await loadResumeState(path, share.cid, root.blockSize, meta.size) : undefined
  if (state !== undefined) {
    // Checkpoints are written without forcing the data to disk, so trust only
    // the blocks that check out against the manifest (a power cut can leave a
    // checkpoint ahead of the data behind it).
    const verified = await verifiedPrefix(part, share, source, state.blocksDone, options).catch(() => 0)
    state = verified > 0 ? { ...state, blocksDone: verified } : undefined
  }
  let handle
  try {
    handle = await open(part, state !== undefined ? 'r+' : 'w')
    if (state !== undefined) await handle.truncate(Math.min(state.blocksDone * root.blockSize, meta.size))
  } catch (err) {
    await handle?.close()
    throw outputError(part, err)
  }

  const resumedBlocks = state?.blocksDone ?? 0
  if (resumedBlocks > 0) {
    log('resuming share %c at block %d', share.cid, resumedBlocks)
    options.onProgress?.(new CustomProgressEvent('veil:export:resumed', { blocks: resumedBlocks, bytes: Math.min(resumedBlocks * root.blockSize, meta.size) }))
  }
  const progress: ResumeState = { version: 1, root: share.cid.toString(), blockSize: root.blockSize, size: meta.size, blocksDone: resumedBlocks }
  const checkpointEvery = options.checkpointBlocks ?? 32
  let position = whole ? resumedBlocks * root.blockSize : 0
  let bytesWritten = 0
  let sinceCheckpoint = 0

  // The data goes to disk in the background: every FLUSH_EVERY bytes an
  // fdatasync starts on libuv's pool and the download goes on (awaiting one
  // per checkpoint stalled downloads ~100 ms per 32 MiB; a single fdatasync
  // of the whole file at the end cost ~13% of a 256 MiB fetch; flushing in
  // the background measured as fast as not syncing at all). The final one
  // only has the tail left. Resuming re-verifies the blocks a checkpoint
  // claims (see above), so a checkpoint need not wait for its data.
  const flusher = new BackgroundFlush(handle)
  let flushed = 0
  const checkpoint = async (): Promise<void> => {
    if (!whole) return
    await saveResumeState(path, progress)
    sinceCheckpoint = 0
  }

  try {
    const blocks = readShareBlocks(share, source, whole ? { ...options, firstBlock: resumedBlocks } : options)
    for await (const { index, data } of blocks) {
      if (data.length > 0) {
        try {
          await handle.write(data, 0, data.length, position)
        } catch (err) {
          throw outputError(part, err)
        }
        position += data.length
        bytesWritten += data.length
        if (bytesWritten >= flushed + FLUSH_EVERY) { flushed = bytesWritten; flusher.kick() }
      }
      progress.blocksDone = index + 1
      if (++sinceCheckpoint >= checkpointEvery) await checkpoint()
    }
    try {
      await flusher.settle()
      await handle.datasync()
    } catch (err) {
      throw outputError(part, err)
    }
    await handle.close()
    await rename(part, path)
    await rm(statePath(path), { force: true })
    return { bytesWritten, resumedBlocks, alreadyComplete: false }
  } catch (err) {
    if (isIntegrityError(err)) {
      log.error('share %c is damaged, discarding the partial output: %e', share.cid, err)
      await flusher.settle().catch(() => {})
      await handle.close().catch(() => {})
      await removeResumeFiles(path)
    } else {
      // Keep what was verified so the next run resumes from here.
      await checkpoint().catch(() => {})
      await flusher.settle().catch(() => {})
      await handle.close().catch(() => {})
      if (!whole) await rm(part, { force: true })
    }
    throw err
  }
}

/** Stream a file share (or a range) into a writable stream, honouring backpressure. */
export async function writeShareToStream (share: OpenedShare, source: BlockSource, output: Writable, options: ReadShareOptions = {}): Promise<number> {
  let written = 0
  for await (const chunk of readShare(share, source, options)) {
    await new Promise<void>((resolve, reject) => {
      output.write(chunk, err => { err != null ? reject(err) : resolve() })
    })
    written += chunk.length
  }
  return written
}
