import type { AbortOptions, ComponentLogger, Logger } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import type { ProgressEvent, ProgressOptions } from 'progress-events'
import type { CID } from 'multiformats/cid'
import type { Block, PutOptions } from '../blockstore/index.js'
import type { PaddingMode } from '../crypto/index.js'
import { type NodeRef, DEFAULT_BLOCK_SIZE, MAX_BLOCK_SIZE, MIN_BLOCK_SIZE } from '../format/index.js'
import { InvalidOptionError } from '../errors.js'

/**
 * Where sealed blocks go. A BlockStore is one; a placement sink that pushes
 * to storage nodes is another. `segmentDone` is told as soon as every block of
 * a segment (and its manifest node) has been handed to `putMany`, so a sink
 * can start replicating it while later segments are still being sealed.
 */
export interface BlockSink {
  putMany(blocks: Iterable<Block>, options?: PutOptions): Promise<void>
  segmentDone?(segment: NodeRef, options?: AbortOptions): Promise<void>
}

export type ImportProgressEvents =
  ProgressEvent<'veil:import:start', { name: string, size: number, blocks: number }> |
  ProgressEvent<'veil:import:block', { index: number, blocks: number, bytes: number }> |
  ProgressEvent<'veil:import:done', { name: string, cid: CID, size: number }> |
  ProgressEvent<'veil:import:skipped', { path: string, reason: string }>

export interface ImportOptions extends AbortOptions, ProgressOptions<ImportProgressEvents> {
  /** Where the import logs (`veil:import`: CIDs, counts and sizes only). Default libp2p's default logger. */
  logger?: ComponentLogger
  /** Plaintext block size, 64 KiB – 4 MiB, a multiple of 64 KiB. Default 1 MiB. */
  blockSize?: number
  /** Padmé padding of the content (default) or none. */
  padding?: PaddingMode
  /**
   * Convergence secret: when set, the file key is derived from the content
   * and this secret (opt-in deduplication); otherwise it is random.
   */
  convergenceSecret?: Uint8Array
  /**
   * Make the share expire at this time (ms since the epoch): recorded in
   * the sealed metadata (readers refuse it after) and, by the node that
   * places it, as a hard expiry on storage nodes. Not with convergent keys.
   */
  expires?: number
  /** Name recorded in the sealed metadata; default the file's base name. */
  name?: string
  /** Media type; default guessed from the name. */
  mediaType?: string
  /** Durable (fsync) writes to the sink. Default false. */
  sync?: boolean
  /** Sealed blocks per putMany batch. Default 4. */
  batchBlocks?: number
  /** putMany batches in flight at once. Default 2. */
  batchesInFlight?: number
  /** Blocks being sealed and hashed (on the thread pool) at once. Default 4. */
  sealWindow?: number
}

export interface ResolvedImportOptions {
  blockSize: number
  padding: PaddingMode
  sync: boolean
  batchBlocks: number
  batchesInFlight: number
  sealWindow: number
  log: Logger
}

/** Resolve defaults once and reject bad values with a message that says what to use. */
export function resolveImportOptions (options: ImportOptions): ResolvedImportOptions {
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE
  if (!Number.isSafeInteger(blockSize) || blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || blockSize % MIN_BLOCK_SIZE !== 0) {
    throw new InvalidOptionError(`block size ${blockSize} is not allowed: use a multiple of 64 KiB from 64 KiB to 4 MiB (default 1 MiB)`)
  }
  const padding = options.padding ?? 'padme'
  if (padding !== 'padme' && padding !== 'none') throw new InvalidOptionError(`padding must be "padme" or "none", not ${JSON.stringify(padding)}`)
  // 4 × 2 blocks in flight kept a 1 GiB import's peak RSS flat (~180 MB) at full speed.
  const batchBlocks = options.batchBlocks ?? 4
  const batchesInFlight = options.batchesInFlight ?? 2
  if (!Number.isSafeInteger(batchBlocks) || batchBlocks < 1 || batchBlocks > 256) throw new InvalidOptionError('batchBlocks must be 1–256')
  if (!Number.isSafeInteger(batchesInFlight) || batchesInFlight < 1 || batchesInFlight > 64) throw new InvalidOptionError('batchesInFlight must be 1–64')
  const sealWindow = options.sealWindow ?? 4
  if (!Number.isSafeInteger(sealWindow) || sealWindow < 1 || sealWindow > 64) throw new InvalidOptionError('sealWindow must be 1–64')
  if (options.convergenceSecret !== undefined && options.convergenceSecret.length < 16) {
    throw new InvalidOptionError('a convergence secret must be at least 16 bytes')
  }
  if (options.expires !== undefined) {
    if (!Number.isSafeInteger(options.expires) || options.expires <= 0) throw new InvalidOptionError('an expiry must be a time in ms since the epoch')
    // Convergent shares share blocks and segments with identical content: one share's expiry must not reach another's.
    if (options.convergenceSecret !== undefined) throw new InvalidOptionError('a share cannot both expire and be convergent (deduplicated): drop --convergent or --expires')
  }
  // Never log names, keys or content: only CIDs, counts and sizes.
  const log = (options.logger ?? defaultLogger()).forComponent('veil:import')
  return { blockSize, padding, sync: options.sync ?? false, batchBlocks, batchesInFlight, sealWindow, log }
}

