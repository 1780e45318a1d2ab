import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import { commitmentMatchesAsync, deriveSubkeysAsync, importAesKey, openAsync, NONCE_LENGTH, TAG_LENGTH, paddedLength, type PaddingMode } from '../crypto/portable.js'
import { InvalidManifestError, KeyMismatchError, ShareExpiredError, ShareStructureError, UnsupportedVersionError } from '../errors.js'
import { decodeCborMap, expectKeys, readBytes, readInt, readLiteral, readString, readCidList, type CborMap } from './codec.js'
import {
  FORMAT_VERSION, MAX_BLOCK_SIZE, MAX_MANIFEST_NODE_SIZE, MAX_MEDIA_TYPE_LENGTH, MAX_META_SIZE, MAX_NAME_BYTES,
  MAX_SHARE_SIZE, MAX_TREE_HEIGHT, META_PAD_UNIT, MIN_BLOCK_SIZE, SEGMENT_BLOCKS, TREE_FANOUT
} from './limits.js'
import { blockCountFor, treeHeightFor, childCount } from './shape.js'

/**
 * The root manifest: the block a link's CID names.
 *
 * Public part (readable with the verify-only capability, so storage nodes can
 * check and repair a share they cannot read): format version, key
 * commitment, block size, block count, tree height and the children (content
 * block CIDs when the file fits one segment, else segment/index node CIDs).
 *
 * Sealed part (AES-256-GCM under the manifest key, with the public part as
 * associated data): kind, name, true size, media type and padding mode.
 *
 * This file is portable (pure functions and WebCrypto): it runs unchanged in
 * Node and in the gateway page. root.ts adds the node:crypto fast path
 * (encodeRoot, openRoot).
 */

export type ShareKind = 'file' | 'folder'

export interface ShareMeta {
  kind: ShareKind
  /** File or folder name (a single path component). */
  name: string
  /** True plaintext size in bytes (a folder's: its listing's size). */
  size: number
  mediaType: string
  padding: PaddingMode
  /**
   * When the sharer made it expire (ms since the epoch): readers refuse it
   * after that (`checkNotExpired`). Absent: it does not expire.
   */
  expires?: number
}

export interface RootNode {
  version: number
  commitment: Uint8Array
  blockSize: number
  blockCount: number
  height: number
  children: CID[]
  metaNonce: Uint8Array
  sealedMeta: Uint8Array
}

export interface EncodedNode {
  cid: CID
  bytes: Uint8Array
}

const ROOT_KEYS = ['v', 't', 'kc', 'bs', 'n', 'h', 'c', 'mn', 'm'] as const
const SHARE_KINDS = ['file', 'folder'] as const
const PADDING_MODES = ['padme', 'none'] as const

export function headerMap (root: Omit<RootNode, 'sealedMeta'>): CborMap {
  return {
    v: root.version,
    t: 'root',
    kc: root.commitment,
    bs: root.blockSize,
    n: root.blockCount,
    h: root.height,
    c: root.children,
    mn: root.metaNonce
  }
}

export function encodeMeta (meta: ShareMeta): Uint8Array {
  const fields: Record<string, unknown> = { k: meta.kind, n: meta.name, s: meta.size, t: meta.mediaType, p: meta.padding }
  if (meta.expires !== undefined) fields.x = meta.expires
  const body = dagCbor.encode(fields)
  // length prefix ‖ body ‖ zeros, padded so the ciphertext leaks little of the name's length
  const total = Math.ceil((4 + body.length) / META_PAD_UNIT) * META_PAD_UNIT
  const out = new Uint8Array(total)
  new DataView(out.buffer).setUint32(0, body.length)
  out.set(body, 4)
  return out
}

export function decodeMeta (plain: Uint8Array): ShareMeta {
  const what = 'share metadata'
  if (plain.length < 4) throw new InvalidManifestError(`${what} is truncated`)
  const length = new DataView(plain.buffer, plain.byteOffset, plain.byteLength).getUint32(0)
  if (length > plain.length - 4) throw new InvalidManifestError(`${what} declares more bytes than it holds`)
  for (let i = 4 + length; i < plain.length; i++) {
    if (plain[i] !== 0) throw new InvalidManifestError(`${what} has non-zero padding`)
  }
  const map = decodeCborMap(plain.subarray(4, 4 + length), MAX_META_SIZE, what)
  // `x` (the expiry) is optional: a Veil from before it refuses such a share rather than ignore its expiry.
  expectKeys(map, Object.hasOwn(map, 'x') ? ['k', 'n', 's', 't', 'p', 'x'] : ['k', 'n', 's', 't', 'p'], what)
  const meta: ShareMeta = {
    kind: readLiteral(map, 'k', SHARE_KINDS, what),
    name: readString(map, 'n', MAX_NAME_BYTES, what),
    size: readInt(map, 's', 0, MAX_SHARE_SIZE, what),
    mediaType: readString(map, 't', MAX_MEDIA_TYPE_LENGTH, what),
    padding: readLiteral(map, 'p', PADDING_MODES, what)
  }
  if (Object.hasOwn(map, 'x')) meta.expires = readInt(map, 'x', 1, MAX_SHARE_SIZE, what)
  return meta
}

/** Refuse a share its sharer set to expire once that time has passed (ShareExpiredError). */
export function checkNotExpired (meta: ShareMeta, now = Date.now()): ShareMeta {
  if (meta.expires !== undefined && now >= meta.expires) throw new ShareExpiredError(meta.expires)
  return meta
}

/**
 * Decode the public part of a root node. Needs no key: this is what a
 * verify-only holder reads.
 */
export function decodeRoot (bytes: Uint8Array): RootNode {
  const what = 'root manifest'
  const map = decodeCborMap(bytes, MAX_MANIFEST_NODE_SIZE, what)
  if (map.v !== FORMAT_VERSION) {
    if (typeof map.v === 'number') throw new UnsupportedVersionError(`this share uses format version ${map.v}; this Veil reads version ${FORMAT_VERSION}: upgrade Veil`)
    throw new InvalidManifestError(`${what} has no format version`)
  }
  if (map.t !== 'root') throw new InvalidManifestError(`${what} is not a root node (type ${String(map.t)})`)
  expectKeys(map, ROOT_KEYS, what)
  const height = readInt(map, 'h', 0, MAX_TREE_HEIGHT, what)
  const root: RootNode = {
    version: FORMAT_VERSION,
    commitment: readBytes(map, 'kc', 32, 32, what),
    blockSize: readInt(map, 'bs', MIN_BLOCK_SIZE, MAX_BLOCK_SIZE, what),
    blockCount: readInt(map, 'n', 1, MAX_SHARE_SIZE, what),
    height,
    children: readCidList(map, 'c', height === 0 ? 'block' : 'node', height === 0 ? SEGMENT_BLOCKS : TREE_FANOUT, what),
    metaNonce: readBytes(map, 'mn', NONCE_LENGTH, NONCE_LENGTH, what),
    sealedMeta: readBytes(map, 'm', TAG_LENGTH, MAX_META_SIZE + TAG_LENGTH, what)
  }
  if (root.blockSize % 16 !== 0) throw new InvalidManifestError(`${what}: block size must be a multiple of 16`)
  if (treeHeightFor(root.blockCount) !== root.height) {
    throw new ShareStructureError(`${what}: a tree of ${root.blockCount} blocks cannot have height ${root.height}`)
  }
  if (childCount(root.blockCount, root.height) !== root.children.length) {
    throw new ShareStructureError(`${what}: lists ${root.children.length} children for ${root.blockCount} blocks`)
  }
  return root
}

/** The associated data the sealed metadata is bound to: the dag-cbor of every public field. */
export function rootAad (root: RootNode): Uint8Array {
  return dagCbor.encode(headerMap(root))
}

/** Check opened metadata against the root's block count (a share cannot lie about its size). */
export function checkMetaFitsRoot (root: RootNode, meta: ShareMeta): ShareMeta {
  const expected = blockCountFor(paddedLength(meta.size, meta.padding), root.blockSize)
  if (expected !== root.blockCount) {
    throw new ShareStructureError(`the share declares ${meta.size} bytes but lists ${root.blockCount} blocks (expected ${expected}): it was altered or truncated`)
  }
  return meta
}

export const ALTERED_ROOT = 'the root manifest failed authentication: it was altered'

/**
 * openRoot with WebCrypto: the same checks in the same order (commitment,
 * then the sealed metadata, then its size against the block count).
 */
export async function openRootAsync (root: RootNode, fileKey: Uint8Array): Promise<ShareMeta> {
  if (!await commitmentMatchesAsync(root.commitment, fileKey)) throw new KeyMismatchError()
  const { manifestKey } = await deriveSubkeysAsync(fileKey)
  const plain = await openAsync(await importAesKey(manifestKey), root.metaNonce, root.sealedMeta, rootAad(root))
  if (plain === undefined) throw new InvalidManifestError(ALTERED_ROOT)
  return checkMetaFitsRoot(root, decodeMeta(plain))
}
