import { open, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { createHash } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import mime from 'mime-types'
import { convergentFileKey, generateFileKey, paddedLength } from '../crypto/index.js'
import { blockCountFor, checkEntryName, FORMAT_VERSION, type ShareKind, visibleName } from '../format/index.js'
import { InputError, UnsafeNameError } from '../errors.js'
import { resolveImportOptions, type BlockSink, type ImportOptions, type ResolvedImportOptions } from './options.js'
import { bytesToPaddedBlocks, hashFile, readPaddedBlocks } from './read-blocks.js'
import { writeShare, type ShareResult } from './share-writer.js'

/** Media type for a name, from the extension; octet-stream when unknown. */
export function guessMediaType (name: string): string {
  const type = mime.lookup(name)
  return typeof type === 'string' ? type : 'application/octet-stream'
}

/** Every encoding parameter, hashed into a convergent key (see convergentFileKey). */
function convergenceParams (config: ResolvedImportOptions, kind: ShareKind): Uint8Array {
  return dagCbor.encode({ v: FORMAT_VERSION, bs: config.blockSize, p: config.padding, k: kind })
}

function fileKeyFor (options: ImportOptions, config: ResolvedImportOptions, kind: ShareKind, digest: () => Uint8Array): Uint8Array {
  if (options.convergenceSecret === undefined) return generateFileKey()
  return convergentFileKey(options.convergenceSecret, convergenceParams(config, kind), digest())
}

/** Turn an fs error into an InputError that says what to do. */
export function inputError (path: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new InputError(`no such file or folder: ${path}`, { cause: err })
  if (code === 'EACCES' || code === 'EPERM') return new InputError(`permission denied reading ${path}: check its permissions`, { cause: err })
  if (code === 'EISDIR') return new InputError(`${path} is a folder: share it as a folder`, { cause: err })
  return new InputError(`cannot read ${path}: ${(err as Error).message}`, { cause: err })
}

/** Check the name a file or folder at `path` is shared under, saying which one to rename. */
export function checkImportName (path: string, name: string): void {
  try {
    checkEntryName(name)
  } catch (err) {
    if (!(err instanceof UnsafeNameError)) throw err
    throw new UnsafeNameError(`cannot share ${visibleName(path)}: ${err.message}; rename it (or leave it out) and share again`)
  }
}

/**
 * Share one file from disk into `sink`. Streams: memory stays bounded by the
 * batch settings whatever the file size.
 */
export async function importFile (path: string, sink: BlockSink, options: ImportOptions = {}): Promise<ShareResult> {
  const config = resolveImportOptions(options)
  const name = options.name ?? basename(path)
  checkImportName(path, name)
  let handle
  try {
    const info = await stat(path)
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
    if (!info.isFile()) throw new InputError(`${path} is not a regular file (a device, socket or pipe cannot be shared)`)
    handle = await open(path, 'r')
  } catch (err) {
    throw err instanceof InputError ? err : inputError(path, err)
  }
  try {
    const { size } = await handle.stat()
    const paddedSize = paddedLength(size, config.padding)
    const blockCount = blockCountFor(paddedSize, config.blockSize)
    // Convergent: hash first (the key comes from the content), then check
    // every block against that pass before it is sealed.
    const hashed = options.convergenceSecret !== undefined ? await hashFile(handle, size, config.blockSize) : undefined
    const fileKey = fileKeyFor(options, config, 'file', () => hashed!.digest)
    return await writeShare({
      fileKey,
      meta: { kind: 'file', name, size, mediaType: options.mediaType ?? guessMediaType(name), ...expiry(options) },
      blocks: readPaddedBlocks(handle, { size, paddedSize, blockSize: config.blockSize, blockCount }, hashed?.blocks),
      sink,
      config
    }, options)
  } finally {
    await handle.close()
  }
}

export interface ImportBytesOptions extends ImportOptions {
  name: string
  kind?: ShareKind
}

/** Share a buffer held in memory (folder listings, small payloads, tests). */
export async function importBytes (bytes: Uint8Array, sink: BlockSink, options: ImportBytesOptions): Promise<ShareResult> {
  const config = resolveImportOptions(options)
  const kind = options.kind ?? 'file'
  checkEntryName(options.name)
  const paddedSize = paddedLength(bytes.length, config.padding)
  const blockCount = blockCountFor(paddedSize, config.blockSize)
  const fileKey = fileKeyFor(options, config, kind, () => new Uint8Array(createHash('sha256').update(bytes).digest()))
  return await writeShare({
    fileKey,
    meta: {
      kind,
      name: options.name,
      size: bytes.length,
      mediaType: options.mediaType ?? (kind === 'folder' ? FOLDER_MEDIA_TYPE : guessMediaType(options.name)),
      ...expiry(options)
    },
    blocks: bytesToPaddedBlocks(bytes, { paddedSize, blockSize: config.blockSize, blockCount }),
    sink,
    config
  }, options)
}

/** The expiry for the sealed metadata, when the share has one. */
function expiry (options: ImportOptions): { expires?: number } {
  return options.expires === undefined ? {} : { expires: options.expires }
}

/** Media type recorded for folder shares (their content is a dag-cbor listing). */
export const FOLDER_MEDIA_TYPE = 'application/vnd.veil.folder+cbor'
