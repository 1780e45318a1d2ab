import { CID } from 'multiformats/cid'
import {
  checkBlockLength, decodeFolderListing, decodeRoot, decodeTreeNode, isSupportedCid, MAX_FOLDER_LISTING_SIZE, openRootAsync,
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
}

export interface GatewayFetchInit {
  /** Origin and path prefix of the gateway ('' for the page's own). */
  base?: string
  /** Tries per block when the gateway answers busy (429/503). Default 8. */
  busyTries?: number
}

/** Blocks from the gateway over HTTP; a busy answer (429/503) is retried after the pause it asks for. */
export function gatewayFetcher (init: GatewayFetchInit = {}): BlockFetcher {
  const base = init.base ?? ''
  const tries = init.busyTries ?? 8
  return {
    async get (cid, unit, signal) {
      const url = `${base}/block/${cid.toString()}${unit === undefined || unit.equals(cid) ? '' : `?in=${unit.toString()}`}`
      for (let attempt = 1; ; attempt++) {
        const response = await fetch(url, { signal, credentials: 'omit', referrerPolicy: 'no-referrer' })
        if (response.ok) {
          const bytes = new Uint8Array(await response.arrayBuffer())
          await verifyBlockAsync(cid, bytes)
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
  const meta = await openRootAsync(root, key)
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
    const plain = await openBlockAsync(share.blockKey, ref.index, ref.last, sealed)
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
