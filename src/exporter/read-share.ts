import type { AbortOptions } from '@libp2p/interface'
import type { ProgressEvent, ProgressOptions } from 'progress-events'
import { CustomProgressEvent } from 'progress-events'
import { openBlockAsync, type CryptoPool } from '../crypto/index.js'
import { orderedWindow, anySignal } from '../util/index.js'
import { checkBlockLength, walkBlocks, type BlockRef, type LoadTreeNode } from '../format/index.js'
import { BlockAuthenticationError, InvalidRangeError } from '../errors.js'
import { loadTreeNode, type BlockSource } from '../blockstore/index.js'
import type { OpenedShare, OpenShareOptions } from './open-share.js'

export type ReadProgressEvents =
  ProgressEvent<'veil:export:block', { index: number, blocks: number, bytes: number }>

/**
 * Decrypts one block: undefined when it fails authentication. The default
 * runs AES-GCM on the thread pool (WebCrypto), off the event loop.
 */
export type BlockOpener = (share: OpenedShare, ref: BlockRef, sealed: Uint8Array, options?: AbortOptions) => Promise<Uint8Array | undefined>

export const openBlockOffThread: BlockOpener = async (share, ref, sealed) => await openBlockAsync(share.aesKey, ref.index, ref.last, sealed)

/** Decrypt on a worker pool (the sealed buffer is transferred to the worker). */
export function poolOpener (pool: CryptoPool): BlockOpener {
  return async (share, ref, sealed) => await pool.open(share.blockKey, ref.index, ref.last, sealed)
}

export interface ReadShareOptions extends OpenShareOptions, ProgressOptions<ReadProgressEvents> {
  /** First byte to read. Default 0. */
  offset?: number
  /** Bytes to read. Default: to the end. */
  length?: number
  /** Blocks fetched and decrypted at once (the window). Default 8. */
  concurrency?: number
  /**
   * Blocks asked for at once as the window frees up (see orderedWindow):
   * blocks asked in the same tick share one request to a peer. Default 1.
   */
  refill?: number
  /** Start at this block instead of `offset` (resuming a file at a block boundary). */
  firstBlock?: number
  opener?: BlockOpener
}

export interface ByteRange {
  offset: number
  length: number
}

export function resolveRange (size: number, options: { offset?: number, length?: number }): ByteRange {
  const offset = options.offset ?? 0
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
    throw new InvalidRangeError(`range start ${offset} is outside the share (0–${size} bytes)`)
  }
  const length = options.length ?? size - offset
  if (!Number.isSafeInteger(length) || length < 0 || offset + length > size) {
    throw new InvalidRangeError(`range of ${length} bytes from ${offset} runs past the end of the share (${size} bytes)`)
  }
  return { offset, length }
}

/** A block's share of the requested range (empty for padding-only blocks). */
export interface BlockData {
  index: number
  data: Uint8Array
}

/**
 * Stream a byte range of a file share's plaintext, in order. Up to
 * `concurrency` blocks are fetched and decrypted at once; a block that fails
 * authentication (wrong position, flag, any altered bit) stops the stream
 * with BlockAuthenticationError before any of its bytes are yielded.
 */
export async function * readShare (share: OpenedShare, source: BlockSource, options: ReadShareOptions = {}): AsyncGenerator<Uint8Array> {
  for await (const { data } of readShareBlocks(share, source, options)) {
    if (data.length > 0) yield data
  }
}

/** As readShare, but one item per block, so a writer can record which blocks are done. */
export async function * readShareBlocks (share: OpenedShare, source: BlockSource, options: ReadShareOptions = {}): AsyncGenerator<BlockData> {
  const { root, meta } = share
  const { offset, length } = resolveRange(meta.size, options)
  const blockSize = root.blockSize
  if (length === 0) return
  const firstBlock = options.firstBlock ?? Math.floor(offset / blockSize)
  const start = options.firstBlock !== undefined ? firstBlock * blockSize : offset
  const end = offset + length
  const endBlock = Math.ceil(end / blockSize)
  const opener = options.opener ?? openBlockOffThread
  // Work still in flight when the reader stops early (or fails) is aborted.
  const stop = new AbortController()
  const signal = anySignal(options.signal, stop.signal)
  const loadNode: LoadTreeNode = async (cid, height, opts) => await loadTreeNode(source, cid, height, opts)

  const jobs = async function * () {
    for await (const ref of walkBlocks(share.cid, root, loadNode, firstBlock, endBlock, { signal })) {
      yield async () => {
        const sealed = await source.get(ref.cid, { signal, segment: ref.segment })
        const plain = await opener(share, ref, sealed, { signal })
        if (plain === undefined) {
          throw new BlockAuthenticationError(`block ${ref.index} of the share failed authentication (altered, reordered or truncated): the share is damaged`)
        }
        return { ref, plain }
      }
    }
  }

  try {
    for await (const { ref, plain } of orderedWindow(jobs(), options.concurrency ?? 8, options.refill ?? 1)) {
      checkBlockLength(ref.index, plain.length, blockSize, meta.size, root.blockCount)
      const blockStart = ref.index * blockSize
      const from = Math.max(start, blockStart) - blockStart
      const to = Math.min(end, blockStart + plain.length) - blockStart
      options.onProgress?.(new CustomProgressEvent('veil:export:block', { index: ref.index, blocks: root.blockCount, bytes: Math.max(0, to - from) }))
      yield { index: ref.index, data: to > from ? plain.subarray(from, to) : new Uint8Array(0) }
    }
  } finally {
    stop.abort()
  }
}
