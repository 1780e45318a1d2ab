import { makeZip } from 'client-zip'
import type { CID } from 'multiformats/cid'
import { MAX_FOLDER_ENTRIES, type FolderEntry } from '../format/portable.js'
import { ShareStructureError, FolderLimitError } from '../errors.js'
import { openPageShare, plaintext, readListing, type BlockFetcher, type PageShare } from './reader.js'

/*
 * A whole folder as one ZIP, streamed: the tree is read first (each listing
 * once, each reference counted) and checked against limits, as `veil get`
 * does, then files are opened one after the other and their plaintext flows
 * through client-zip into the save stream.
 */

export interface ZipLimits { entries: number, depth: number, bytes: number }

export const ZIP_LIMITS: ZipLimits = { entries: MAX_FOLDER_ENTRIES, depth: 64, bytes: 2 ** 40 }

export interface ZipItem { path: string, kind: 'file' | 'folder', size: number, cid: CID, key: Uint8Array }

export interface ZipPlan { items: ZipItem[], files: number, bytes: number }

export async function planZip (share: PageShare, blocks: BlockFetcher, limits: ZipLimits = ZIP_LIMITS, signal?: AbortSignal): Promise<ZipPlan> {
  const listings = new Map<string, FolderEntry[]>()
  const plan: ZipPlan = { items: [], files: 0, bytes: 0 }
  const listingOf = async (cid: CID, key: Uint8Array): Promise<FolderEntry[]> => {
    const known = listings.get(cid.toString())
    if (known !== undefined) return known
    const child = cid.equals(share.cid) ? share : await openPageShare(cid, key, blocks, signal)
    if (child.meta.kind !== 'folder') throw new ShareStructureError('a folder entry marked as a folder is a file: the share was altered')
    const entries = await readListing(child, blocks, signal)
    listings.set(cid.toString(), entries)
    return entries
  }
  const visit = async (cid: CID, key: Uint8Array, prefix: string, depth: number): Promise<void> => {
    if (depth > limits.depth) throw new FolderLimitError(`the folder is nested more than ${limits.depth} levels deep`)
    for (const entry of await listingOf(cid, key)) {
      if (plan.items.length >= limits.entries) throw new FolderLimitError(`the folder holds more than ${limits.entries} entries`)
      const path = `${prefix}/${entry.name}`
      plan.items.push({ path, kind: entry.kind, size: entry.size, cid: entry.cid, key: entry.key })
      if (entry.kind === 'folder') {
        await visit(entry.cid, entry.key, path, depth + 1)
      } else {
        plan.files++
        plan.bytes += entry.size
        if (plan.bytes > limits.bytes) throw new FolderLimitError(`the folder declares more than ${limits.bytes} bytes`)
      }
    }
  }
  await visit(share.cid, new Uint8Array(0), share.meta.name, 1)
  return plan
}

/** The ZIP's bytes: each file opened in turn (its declared size checked) and decrypted as client-zip reads it. */
export function zipStream (plan: ZipPlan, blocks: BlockFetcher, onBytes: (bytes: number) => void, signal?: AbortSignal): ReadableStream<Uint8Array> {
  type ZipInput = { name: string, lastModified: Date } | { name: string, input: AsyncIterable<Uint8Array<ArrayBuffer>>, size: number, lastModified: Date }
  async function * inputs (): AsyncGenerator<ZipInput> {
    const lastModified = new Date()
    for (const item of plan.items) {
      if (item.kind === 'folder') {
        yield { name: `${item.path}/`, lastModified }
        continue
      }
      const share = await openPageShare(item.cid, item.key, blocks, signal)
      if (share.meta.kind !== 'file' || share.meta.size !== item.size) {
        throw new ShareStructureError(`${item.path} does not match its folder entry (kind or size): the share was altered`)
      }
      yield { name: item.path, input: plaintext(share, blocks, { signal, onBytes }) as AsyncIterable<Uint8Array<ArrayBuffer>>, size: item.size, lastModified }
    }
  }
  return makeZip(inputs(), { buffersAreUTF8: true })
}

/** A ReadableStream read as an async iterable (Chromium has no async iterator on streams before 124). */
export async function * readChunks (stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
}
