import { CID } from 'multiformats/cid'
import {
  checkBlockLength, checkNotExpired, decodeFolderListing, decodeRoot, decodeTreeNode, isSupportedCid, MAX_FOLDER_LISTING_SIZE, openRootAsync,
  verifyBlockAsync, walkBlocks, type BlockRef, type FolderEntry, type RootNode, type ShareMeta
} from '../format/portable.js'
import { deriveSubkeysAsync, importAesKey, openBlockAsync, type CryptoKey } from '../crypto/portable.js'
import { BlockAuthenticationError, InvalidManifestError } from '../errors.js'
import { BlockUnavailableError, GatewayBusyError } from './errors.js'

/*
 * Reading a share in the page, from the gateway's ciphertext, with the
 * format code shared with the CLI (format/portable.ts, crypto/portable.ts):
 * every block is checked against its CID before use, the key commitment is
 * checked before anything is decrypted, and blocks are opened with
 * WebCrypto AES-256-GCM at their STREAM position.
 */

/** Where the page gets ciphertext: the gateway's `GET /block/<cid>`. */
export interface BlockFetcher {
  /** The block's bytes, verified against `cid`. `unit` names the manifest node that lists it (for the gateway's look-up). */
  get: (cid: CID, unit: CID | undefined, signal?: AbortSignal) => Promise<Uint8Array>
  /** Hand back bytes `get` returned once they are no longer needed (their buffer is reused). */
  release?: (bytes: Uint8Array) => void
}

/**
 * Reusable buffers for block bodies: each block is read into one of a few
 * buffers and handed back once decrypted, so a download allocates no new
 * memory per block and the page's memory stays flat however large the file
 * (without it, 1 MiB of garbage per block waited for the collector: 86 MB at
 * the peak of a 1 GiB download).
 */
class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>()
  constructor (private readonly keep: number) {}

  take (size: number): ArrayBuffer {
    return this.free.get(size)?.pop() ?? new ArrayBuffer(size)
  }

  give (bytes: Uint8Array): void {
    const buffer = bytes.buffer
    if (!(buffer instanceof ArrayBuffer) || bytes.byteOffset !== 0 || buffer.byteLength !== bytes.byteLength || buffer.byteLength === 0) return
    let list = this.free.get(buffer.byteLength)
    if (list === undefined) {
      if (this.free.size >= 4) this.free.clear() // block sizes changed: start over
      list = []
      this.free.set(buffer.byteLength, list)
    }
    if (list.length < this.keep) list.push(buffer)
  }
}

/** Read a response body of a known length into a pooled buffer (a BYOB reader), else as a fresh one. */
async function readBody (response: Response, pool: BufferPool): Promise<Uint8Array> {
  const length = Number(response.headers.get('content-length'))
  const body = response.body
  if (body === null || !Number.isSafeInteger(length) || length <= 0 || length > 8 * 1024 * 1024) return new Uint8Array(await response.arrayBuffer())
  let reader: ReadableStreamBYOBReader
  try {
    reader = body.getReader({ mode: 'byob' })
  } catch {
    return new Uint8Array(await response.arrayBuffer())
  }
  let buffer = pool.take(length)
  let filled = 0
  try {
    while (filled < length) {
      const { done, value } = await reader.read(new Uint8Array(buffer, filled, length - filled))
      if (value !== undefined) { buffer = value.buffer as ArrayBuffer; filled += value.byteLength }
      if (done) break
    }
    if (filled < length) throw new BlockUnavailableError(response.status, `the body ended after ${filled} of ${length} bytes`)
    // Nothing may follow the declared length.
    const extra = await reader.read(new Uint8Array(1))
    if (extra.done !== true) throw new BlockUnavailableError(response.status, 'the body is longer than its Content-Length')
    return new Uint8Array(buffer, 0, length)
  } finally {
    reader.releaseLock()
  }
}

export interface GatewayFetchInit {
  /** Origin and path prefix of the gateway ('' for the page's own). */
  base?: string
  /** Tries per block when the gateway answers busy (429/503). Default 8. */
  busyTries?: number
  /** Block buffers kept for reuse. Default 24 (the window's and some). */
  pooled?: number
}

/** Blocks from the gateway over HTTP; a busy answer (429/503) is retried after the pause it asks for. */
export function gatewayFetcher (init: GatewayFetchInit = {}): BlockFetcher {
  const base = init.base ?? ''
  const tries = init.busyTries ?? 8
  const pool = new BufferPool(init.pooled ?? 24)
  return {
    release: bytes => { pool.give(bytes) },
    async get (cid, unit, signal) {
      const url = `${base}/block/${cid.toString()}${unit === undefined || unit.equals(cid) ? '' : `?in=${unit.toString()}`}`
      for (let attempt = 1; ; attempt++) {
        const response = await fetch(url, { signal, credentials: 'omit', referrerPolicy: 'no-referrer' })
        if (response.ok) {
          const bytes = await readBody(response, pool)
          try {
            await verifyBlockAsync(cid, bytes)
          } catch (err) {
            pool.give(bytes)
            throw err
          }
          return bytes
        }
        const text = (await response.text().catch(() => '')).slice(0, 300)
        if ((response.status === 429 || response.status === 503) && attempt < tries) {
          const after = Number(response.headers.get('retry-after'))
          await pause(Number.isFinite(after) && after > 0 ? Math.min(after, 10) * 1000 : 250 * 2 ** Math.min(attempt, 5), signal)
          continue
        }
        if (response.status === 429 || response.status === 503) throw new GatewayBusyError(text)
        throw new BlockUnavailableError(response.status, text)
      }
    }
  }
}

async function pause (ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason) }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** A share opened in the page: its verified root, its metadata and the block key. */
export interface PageShare {
  cid: CID
  root: RootNode
  meta: ShareMeta
  blockKey: CryptoKey
}

/** Fetch and verify the root, check the key commitment (a wrong key fails here), open the metadata. */
export async function openPageShare (cid: CID, key: Uint8Array, blocks: BlockFetcher, signal?: AbortSignal): Promise<PageShare> {
  if (!isSupportedCid(cid)) throw new InvalidManifestError('the link names a CID Veil does not use')
  const root = decodeRoot(await blocks.get(cid, cid, signal))
  const meta = checkNotExpired(await openRootAsync(root, key))
  const { blockKey } = await deriveSubkeysAsync(key)
  return { cid, root, meta, blockKey: await importAesKey(blockKey) }
}

export interface PlaintextOptions {
  signal?: AbortSignal
  /** Blocks fetched and decrypted at once. Default 8. */
  window?: number
  /** Called with the plaintext bytes of each block as it is yielded. */
  onBytes?: (bytes: number) => void
}

/**
 * A file share's plaintext, block by block, in order, without the padding.
 * Up to `window` blocks are fetched, verified and decrypted at once; nothing
 * more is held, so memory stays flat whatever the file's size.
 */
export async function * plaintext (share: PageShare, blocks: BlockFetcher, options: PlaintextOptions = {}): AsyncGenerator<Uint8Array> {
  const { root, meta } = share
  const stop = new AbortController()
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal])
  const endBlock = Math.ceil(meta.size / root.blockSize)
  if (meta.size === 0) return
  const loadNode = async (cid: CID, height: number, opts: { signal?: AbortSignal } = {}): Promise<ReturnType<typeof decodeTreeNode>> =>
    decodeTreeNode(await blocks.get(cid, cid, opts.signal), height)
  const refs = walkBlocks(share.cid, root, loadNode, 0, endBlock, { signal })
  const open = async (ref: BlockRef): Promise<{ ref: BlockRef, plain: Uint8Array }> => {
    const sealed = await blocks.get(ref.cid, ref.segment, signal)
    let plain: Uint8Array | undefined
    try {
      plain = await openBlockAsync(share.blockKey, ref.index, ref.last, sealed)
    } finally {
      blocks.release?.(sealed)
    }
    if (plain === undefined) {
      throw new BlockAuthenticationError(`block ${ref.index} of the share failed authentication (altered, reordered or truncated): the share is damaged`)
    }
    return { ref, plain }
  }
  const window: Array<Promise<{ ref: BlockRef, plain: Uint8Array }>> = []
  const size = Math.max(1, options.window ?? 8)
  let walking = true
  try {
    for (;;) {
      while (walking && window.length < size) {
        const next = await refs.next()
        if (next.done === true) { walking = false; break }
        const job = open(next.value)
        job.catch(() => {}) // surfaced when its turn comes
        window.push(job)
      }
      const job = window.shift()
      if (job === undefined) return
      const { ref, plain } = await job
      checkBlockLength(ref.index, plain.length, root.blockSize, meta.size, root.blockCount)
      const data = plain.subarray(0, Math.min(plain.length, meta.size - ref.index * root.blockSize))
      options.onBytes?.(data.length)
      yield data
    }
  } finally {
    stop.abort()
    await refs.return(undefined).catch(() => {})
  }
}

/** A folder share's listing (decrypted, checked, at most 32 MiB). */
export async function readListing (share: PageShare, blocks: BlockFetcher, signal?: AbortSignal): Promise<FolderEntry[]> {
  if (share.meta.kind !== 'folder') throw new InvalidManifestError('not a folder share')
  if (share.meta.size > MAX_FOLDER_LISTING_SIZE) throw new InvalidManifestError('the folder listing is over the size limit')
  const bytes = new Uint8Array(share.meta.size)
  let at = 0
  for await (const chunk of plaintext(share, blocks, { signal })) {
    bytes.set(chunk, at)
    at += chunk.length
  }
  return decodeFolderListing(bytes)
}

/** Parse a CID as the page receives it (from its own URL or a listing). */
export function parseCid (text: string): CID {
  return CID.parse(text)
}
