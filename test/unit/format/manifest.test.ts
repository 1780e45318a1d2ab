import { describe, it, expect } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import {
  encodeRoot, decodeRoot, openRoot, encodeTreeNode, decodeTreeNode, rawCid, dagCborCid,
  encodeFolderListing, decodeFolderListing, MAX_MANIFEST_NODE_SIZE, type ShareMeta
} from '../../../src/format/index.js'

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1)
const META: ShareMeta = { kind: 'file', name: 'report.pdf', size: 3000, mediaType: 'application/pdf', padding: 'padme' }
const BLOCKS = [rawCid(Uint8Array.of(1)), rawCid(Uint8Array.of(2)), rawCid(Uint8Array.of(3))]

function sampleRoot (meta: ShareMeta = META, key: Uint8Array = KEY): ReturnType<typeof encodeRoot> {
  // padme(3000) = 3072 → 3 blocks of 1 KiB would be below the 64 KiB minimum; use 64 KiB blocks and a size to match.
  return encodeRoot({ fileKey: key, blockSize: 65536, blockCount: 3, height: 0, children: BLOCKS, meta })
}

const BIG_META: ShareMeta = { ...META, size: 2 * 65536 + 7 }

describe('root manifest', () => {
  it('has a fixed encoding (a change here is a format change)', () => {
    const root = sampleRoot(BIG_META)
    expect(root.cid.toString()).toBe(ROOT_VECTOR_CID)
    expect(root.bytes.length).toBe(ROOT_VECTOR_LENGTH)
  })

  it('round-trips: public part without the key, metadata with it', () => {
    const { bytes } = sampleRoot(BIG_META)
    const root = decodeRoot(bytes)
    expect(root.blockCount).toBe(3)
    expect(root.children.map(c => c.toString())).toEqual(BLOCKS.map(c => c.toString()))
    expect(openRoot(root, KEY)).toEqual(BIG_META)
  })

  it('keeps name, size and media type out of the public part', () => {
    const { bytes } = sampleRoot(BIG_META)
    const text = Buffer.from(bytes).toString('latin1')
    expect(text).not.toContain('report.pdf')
    expect(text).not.toContain('application/pdf')
  })

  it('fails the key commitment with a wrong key, saying the key does not match', () => {
    const root = decodeRoot(sampleRoot(BIG_META).bytes)
    const wrong = KEY.slice()
    wrong[0]! ^= 1
    expect(() => openRoot(root, wrong)).toThrow(expect.objectContaining({ name: 'KeyMismatchError', message: expect.stringContaining('does not match') }))
  })

  it('rejects altered sealed metadata and an altered public part', () => {
    const map = dagCbor.decode(sampleRoot(BIG_META).bytes) as Record<string, unknown>
    const sealed = (map.m as Uint8Array).slice()
    sealed[5]! ^= 1
    expect(() => openRoot(decodeRoot(dagCbor.encode({ ...map, m: sealed })), KEY)).toThrow(expect.objectContaining({ name: 'InvalidManifestError' }))
    // Swapping two children keeps the shape but breaks the associated data.
    const swapped = dagCbor.encode({ ...map, c: [BLOCKS[1], BLOCKS[0], BLOCKS[2]] })
    expect(() => openRoot(decodeRoot(swapped), KEY)).toThrow(expect.objectContaining({ name: 'InvalidManifestError' }))
  })

  it('rejects a block count that does not match the declared size', () => {
    const root = encodeRoot({ fileKey: KEY, blockSize: 65536, blockCount: 3, height: 0, children: BLOCKS, meta: { ...META, size: 10 } })
    expect(() => openRoot(decodeRoot(root.bytes), KEY)).toThrow(expect.objectContaining({ name: 'ShareStructureError' }))
  })

  it('decodes strictly', () => {
    const map = dagCbor.decode(sampleRoot(BIG_META).bytes) as Record<string, unknown>
    const bad = (patch: Record<string, unknown>): Uint8Array => dagCbor.encode({ ...map, ...patch })
    const expectName = (bytes: Uint8Array, name: string): void => { expect(() => decodeRoot(bytes)).toThrow(expect.objectContaining({ name })) }
    expectName(bad({ v: 2 }), 'UnsupportedVersionError')
    expectName(bad({ extra: 1 }), 'InvalidManifestError')
    expectName(bad({ bs: 1000 }), 'InvalidManifestError')
    expectName(bad({ bs: 64 * 1024 * 1024 }), 'InvalidManifestError')
    expectName(bad({ kc: new Uint8Array(31) }), 'InvalidManifestError')
    expectName(bad({ n: 4 }), 'ShareStructureError')
    expectName(bad({ h: 1 }), 'InvalidManifestError')
    expectName(bad({ c: [] }), 'InvalidManifestError')
    expectName(bad({ c: [dagCborCid(Uint8Array.of(1)), BLOCKS[1], BLOCKS[2]] }), 'InvalidManifestError')
    expectName(bad({ t: 'seg' }), 'InvalidManifestError')
    expectName(new Uint8Array([0xff, 0x00]), 'InvalidManifestError')
    expectName(dagCbor.encode([1, 2, 3]), 'InvalidManifestError')
  })

  it('refuses a manifest block over the size cap before decoding it', () => {
    const huge = new Uint8Array(MAX_MANIFEST_NODE_SIZE + 1)
    expect(() => decodeRoot(huge)).toThrow(expect.objectContaining({ name: 'InvalidManifestError', message: expect.stringContaining('limit') }))
  })

  it('refuses an absurd child count before walking', () => {
    const many = Array.from({ length: 1025 }, (_, i) => rawCid(Uint8Array.of(i & 255, i >> 8)))
    const map = dagCbor.decode(sampleRoot(BIG_META).bytes) as Record<string, unknown>
    expect(() => decodeRoot(dagCbor.encode({ ...map, c: many, n: 1025 }))).toThrow(expect.objectContaining({ name: 'InvalidManifestError' }))
  })
})

describe('segment and index nodes', () => {
  it('round-trip and check their type and height', () => {
    const segment = encodeTreeNode({ height: 0, children: BLOCKS })
    expect(decodeTreeNode(segment.bytes, 0).children.length).toBe(3)
    expect(() => decodeTreeNode(segment.bytes, 1)).toThrow(expect.objectContaining({ name: 'InvalidManifestError' }))
    const index = encodeTreeNode({ height: 2, children: [segment.cid] })
    expect(decodeTreeNode(index.bytes, 2).children[0]!.equals(segment.cid)).toBe(true)
    expect(() => decodeTreeNode(index.bytes, 1)).toThrow(expect.objectContaining({ name: 'InvalidManifestError' }))
    // A segment must list raw blocks, an index node dag-cbor nodes.
    expect(() => decodeTreeNode(encodeTreeNode({ height: 0, children: [segment.cid] }).bytes, 0)).toThrow(expect.objectContaining({ name: 'InvalidManifestError' }))
  })
})

describe('folder listing', () => {
  const entry = (name: string, kind: 'file' | 'folder' = 'file') => ({ name, kind, size: 5, cid: sampleRoot().cid, key: KEY })

  it('round-trips sorted entries, each with its own link', () => {
    const entries = decodeFolderListing(encodeFolderListing([entry('b'), entry('a', 'folder'), entry('c')]))
    expect(entries.map(e => e.name)).toEqual(['a', 'b', 'c'])
    expect(entries[0]!.kind).toBe('folder')
    expect(entries[1]!.key).toEqual(KEY)
  })

  it('refuses names that would escape the output folder, and duplicates', () => {
    for (const name of ['..', '.', 'a/b', 'a\\b', 'nul\0', '']) {
      expect(() => encodeFolderListing([entry(name)])).toThrow(expect.objectContaining({ name: 'UnsafeNameError' }))
    }
    expect(() => encodeFolderListing([entry('x'), entry('x')])).toThrow(expect.objectContaining({ name: 'UnsafeNameError' }))
    const hostile = dagCbor.encode({ v: 1, t: 'dir', e: [{ n: '../../etc/passwd', k: 'file', s: 1, c: sampleRoot().cid, key: KEY }] })
    expect(() => decodeFolderListing(hostile)).toThrow(expect.objectContaining({ name: 'UnsafeNameError' }))
    const unsorted = dagCbor.encode({ v: 1, t: 'dir', e: [{ n: 'b', k: 'file', s: 1, c: sampleRoot().cid, key: KEY }, { n: 'a', k: 'file', s: 1, c: sampleRoot().cid, key: KEY }] })
    expect(() => decodeFolderListing(unsorted)).toThrow(expect.objectContaining({ name: 'InvalidManifestError' }))
  })
})

const ROOT_VECTOR_CID = 'bafyreig5vscwsrjkyouoygzhmvw4ohdyjwnjbzxnpaa5z6xrsgdaywhz44'
const ROOT_VECTOR_LENGTH = 481
