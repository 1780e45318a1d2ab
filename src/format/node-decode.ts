import { InvalidManifestError, UnsupportedVersionError } from '../errors.js'
import type { CID } from 'multiformats/cid'
import { decodeCborMap, expectKeys, readInt, readCidList } from './codec.js'
import { FORMAT_VERSION, MAX_MANIFEST_NODE_SIZE, MAX_TREE_HEIGHT, SEGMENT_BLOCKS, TREE_FANOUT } from './limits.js'
import { decodeRoot } from './root-open.js'

/**
 * Inner nodes of a share's tree. Both are public (no key needed): a segment
 * lists up to SEGMENT_BLOCKS content block CIDs; an index node of height h
 * lists up to TREE_FANOUT nodes of height h - 1 (height 0 being segments).
 *
 * Decoding is portable (runs unchanged in the gateway page); nodes.ts adds
 * the encoder, which hashes with node:crypto.
 */

export interface TreeNode {
  /** 0 for a segment (children are content blocks), else an index node. */
  height: number
  children: CID[]
}

/** Decode a segment or index node; `expectedHeight` comes from its parent. */
export function decodeTreeNode (bytes: Uint8Array, expectedHeight: number): TreeNode {
  const what = expectedHeight === 0 ? 'segment manifest' : 'index manifest'
  const map = decodeCborMap(bytes, MAX_MANIFEST_NODE_SIZE, what)
  if (map.v !== FORMAT_VERSION) {
    if (typeof map.v === 'number') throw new UnsupportedVersionError(`this share uses format version ${map.v}; this Veil reads version ${FORMAT_VERSION}: upgrade Veil`)
    throw new InvalidManifestError(`${what} has no format version`)
  }
  if (expectedHeight === 0) {
    if (map.t !== 'seg') throw new InvalidManifestError(`expected a segment manifest, found type ${String(map.t)}`)
    expectKeys(map, ['v', 't', 'c'], what)
    return { height: 0, children: readCidList(map, 'c', 'block', SEGMENT_BLOCKS, what) }
  }
  if (map.t !== 'idx') throw new InvalidManifestError(`expected an index manifest, found type ${String(map.t)}`)
  expectKeys(map, ['v', 't', 'h', 'c'], what)
  const height = readInt(map, 'h', 1, MAX_TREE_HEIGHT, what)
  if (height !== expectedHeight) throw new InvalidManifestError(`index manifest has height ${height}, its parent says ${expectedHeight}`)
  return { height, children: readCidList(map, 'c', 'node', TREE_FANOUT, what) }
}

export interface UnitNode {
  kind: 'root' | 'segment' | 'index'
  /** 0: the children are content blocks; otherwise they are other units. */
  height: number
  children: CID[]
}

/**
 * Decode any manifest node without knowing what it is (a storage node
 * receiving pushes, a repair pass): a root, a segment or an index node. Only
 * the public part is read; no key is needed.
 */
export function decodeUnitNode (bytes: Uint8Array): UnitNode {
  const map = decodeCborMap(bytes, MAX_MANIFEST_NODE_SIZE, 'manifest node')
  if (map.t === 'root') {
    const root = decodeRoot(bytes)
    return { kind: 'root', height: root.height, children: root.children }
  }
  if (map.t === 'seg') return { kind: 'segment', ...decodeTreeNode(bytes, 0) }
  if (map.t === 'idx' && typeof map.h === 'number') return { kind: 'index', ...decodeTreeNode(bytes, map.h) }
  throw new InvalidManifestError(`not a Veil manifest node (type ${String(map.t)})`)
}
