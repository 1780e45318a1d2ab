import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import { deriveSubkeys, commitmentMatches, seal, open, syntheticNonce } from '../crypto/index.js'
import { InvalidManifestError, KeyMismatchError } from '../errors.js'
import { dagCborCid } from './cid.js'
import { FORMAT_VERSION } from './limits.js'
import { ALTERED_ROOT, checkMetaFitsRoot, decodeMeta, encodeMeta, headerMap, rootAad, type EncodedNode, type ShareMeta, type RootNode } from './root-open.js'

// The root's types, decoding and the WebCrypto opener are portable
// (root-open.ts, shared with the gateway page); this file adds the
// node:crypto fast path.
export { decodeRoot, openRootAsync, type RootNode, type ShareMeta, type ShareKind, type EncodedNode } from './root-open.js'

export interface BuildRootInput {
  fileKey: Uint8Array
  blockSize: number
  blockCount: number
  height: number
  children: CID[]
  meta: ShareMeta
}

/** Seal the metadata and encode the root node; returns its bytes and CID. */
export function encodeRoot (input: BuildRootInput): EncodedNode {
  const { manifestKey, commitment } = deriveSubkeys(input.fileKey)
  const metaPlain = encodeMeta(input.meta)
  const metaNonce = syntheticNonce(manifestKey, metaPlain)
  const header = headerMap({
    version: FORMAT_VERSION,
    commitment,
    blockSize: input.blockSize,
    blockCount: input.blockCount,
    height: input.height,
    children: input.children,
    metaNonce
  })
  const sealedMeta = seal(manifestKey, metaNonce, metaPlain, dagCbor.encode(header))
  const bytes = dagCbor.encode({ ...header, m: sealedMeta })
  return { cid: dagCborCid(bytes), bytes }
}

/**
 * Check the key commitment, then open and check the sealed metadata. A wrong
 * key fails the commitment check here, before any block is decrypted.
 */
export function openRoot (root: RootNode, fileKey: Uint8Array): ShareMeta {
  if (!commitmentMatches(root.commitment, fileKey)) throw new KeyMismatchError()
  const { manifestKey } = deriveSubkeys(fileKey)
  const plain = open(manifestKey, root.metaNonce, root.sealedMeta, rootAad(root))
  if (plain === undefined) throw new InvalidManifestError(ALTERED_ROOT)
  return checkMetaFitsRoot(root, decodeMeta(plain))
}
