/**
 * A folder share as a tar stream (`veil get <folder link> -o -`), which
 * `tar x` unpacks into a folder of the share's name. Files stream through
 * block by block, with backpressure from the output: nothing is held whole.
 * tar-stream writes the headers (ustar, with a pax header for long names).
 */
import type { Writable } from 'node:stream'
import type { AbortOptions } from '@libp2p/interface'
import tarStream from 'tar-stream'
import type { BlockSource } from '../blockstore/index.js'
import { openEntry, readShare, type BlockOpener, type OpenedShare } from '../exporter/index.js'
import { walkTree } from './share-path.js'

export interface TarOptions extends AbortOptions {
  concurrency?: number
  opener?: BlockOpener
  /** Told of each file's plaintext bytes as they go out. */
  onBytes?: (bytes: number) => void
}

export interface TarResult {
  files: number
  folders: number
  /** Plaintext bytes of the files (the tar stream adds headers and padding). */
  bytesWritten: number
}

/** Write `share` (a folder) to `output` as a tar stream; resolves once every byte is written. */
export async function writeFolderTar (share: OpenedShare, source: BlockSource, output: Writable, options: TarOptions = {}): Promise<TarResult> {
  const pack = tarStream.pack()
  const result: TarResult = { files: 0, folders: 0, bytesWritten: 0 }
  const mtime = new Date()
  const root = share.meta.name

  const produce = async (): Promise<void> => {
    await addEntry(pack, { name: `${root}/`, type: 'directory', mode: 0o755, mtime })
    result.folders++
    for await (const entry of walkTree(share, source, { signal: options.signal, recursive: true })) {
      const name = [root, ...entry.path].join('/')
      if (entry.kind === 'folder') {
        await addEntry(pack, { name: `${name}/`, type: 'directory', mode: 0o755, mtime })
        result.folders++
        continue
      }
      const file = await openEntry(entry, source, options)
      await addEntry(pack, { name, type: 'file', mode: 0o644, mtime, size: file.meta.size }, readShare(file, source, options), bytes => {
        result.bytesWritten += bytes
        options.onBytes?.(bytes)
      })
      result.files++
    }
    pack.finalize()
  }

  const consume = async (): Promise<void> => {
    for await (const chunk of pack as AsyncIterable<Uint8Array>) {
      await new Promise<void>((resolve, reject) => {
        output.write(chunk, err => { err != null ? reject(err) : resolve() })
      })
    }
  }

  // Either side failing stops the other: a closed output ends the fetch, a failed fetch ends the stream.
  const producing = produce().catch((err: unknown) => { pack.destroy(err as Error); throw err })
  const consuming = consume().catch((err: unknown) => { pack.destroy(err as Error); throw err })
  const [produced, consumed] = await Promise.allSettled([producing, consuming])
  // A closed output is the cause when both fail (the pack was destroyed because of it).
  if (consumed.status === 'rejected') throw consumed.reason
  if (produced.status === 'rejected') throw produced.reason
  return result
}

/** One tar entry: its header, then its content (if any) with backpressure; resolves once it is in the pack. */
async function addEntry (pack: tarStream.Pack, header: Partial<tarStream.Header> & { name: string }, content?: AsyncIterable<Uint8Array>, onBytes?: (bytes: number) => void): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const sink = pack.entry(header, err => { err != null ? reject(err) : resolve() })
    if (content === undefined) {
      if (header.type !== 'directory') sink.end(undefined)
      return
    }
    void (async () => {
      for await (const chunk of content) {
        onBytes?.(chunk.length)
        if (!sink.write(chunk)) {
          await new Promise<void>((resolve, reject) => {
            const done = (err?: Error): void => { sink.off('drain', done); sink.off('error', done); sink.off('close', onClose); err !== undefined ? reject(err) : resolve() }
            const onClose = (): void => { done(new Error('the tar stream was closed')) }
            sink.on('drain', done)
            sink.on('error', done)
            sink.on('close', onClose)
          })
        }
      }
      sink.end(undefined)
    })().catch((err: unknown) => {
      sink.destroy(err as Error)
      reject(err)
    })
  })
}
