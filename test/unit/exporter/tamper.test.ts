import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { readdir } from 'node:fs/promises'
import type { CID } from 'multiformats/cid'
import { importFile, exportShare, MemoryBlockStore, type ShareResult, type BlockSource, type ShareMeta } from '../../../src/index.js'
import { encodeRoot, decodeRoot, rawCid } from '../../../src/format/index.js'
import { deriveSubkeys, sealBlock } from '../../../src/crypto/index.js'
import { tempDir, writeRandomFile } from '../../helpers/files.js'

const B = 64 * 1024

/** A source that hands out whatever it holds, unverified: the exporter must catch every lie itself. */
class LyingSource implements BlockSource {
  readonly blocks = new Map<string, Uint8Array>()
  readonly requested: string[] = []
  async get (cid: CID): Promise<Uint8Array> {
    this.requested.push(cid.toString())
    const bytes = this.blocks.get(cid.toString())
    if (bytes === undefined) throw new Error('missing')
    return bytes
  }

  put (bytes: Uint8Array): CID {
    const cid = rawCid(bytes)
    this.blocks.set(cid.toString(), bytes)
    return cid
  }
}

interface Fixture {
  dir: string
  output: string
  source: LyingSource
  shared: ShareResult
  children: CID[]
}

/** A 4-block unpadded share held in a LyingSource. */
async function fixture (): Promise<Fixture> {
  const dir = await tempDir()
  const input = join(dir, 'input.bin')
  await writeRandomFile(input, 4 * B)
  const store = new MemoryBlockStore()
  const shared = await importFile(input, store, { blockSize: B, padding: 'none' })
  const source = new LyingSource()
  for await (const cid of store.cids()) source.blocks.set(cid.toString(), await store.get(cid))
  const children = decodeRoot(await store.get(shared.cid)).children
  return { dir, output: join(dir, 'out', 'file.bin'), source, shared, children }
}

/** Re-root the share with the same key: what a buggy or hostile key holder could publish. */
function reroot (f: Fixture, children: CID[], meta: Partial<ShareMeta> = {}): CID {
  const root = encodeRoot({
    fileKey: f.shared.key, blockSize: B, blockCount: children.length, height: 0, children,
    meta: { ...f.shared.meta, ...meta }
  })
  f.source.blocks.set(root.cid.toString(), root.bytes)
  return root.cid
}

async function expectRejectedWithNothingWritten (f: Fixture, cid: CID, name: string): Promise<void> {
  const { mkdir } = await import('node:fs/promises')
  await mkdir(join(f.dir, 'out'), { recursive: true })
  await expect(exportShare({ cid, key: f.shared.key }, f.source, { output: f.output, concurrency: 1 }))
    .rejects.toMatchObject({ name })
  expect(await readdir(join(f.dir, 'out'))).toEqual([])
}

describe('tampered shares are rejected and nothing is written', () => {
  it('swapped blocks', async () => {
    const f = await fixture()
    const [a, b, c, d] = f.children
    await expectRejectedWithNothingWritten(f, reroot(f, [a!, c!, b!, d!]), 'BlockAuthenticationError')
  })

  it('a dropped block (size adjusted to match)', async () => {
    const f = await fixture()
    const [a, , c, d] = f.children
    await expectRejectedWithNothingWritten(f, reroot(f, [a!, c!, d!], { size: 3 * B }), 'BlockAuthenticationError')
  })

  it('a dropped block (size left as is)', async () => {
    const f = await fixture()
    const [a, , c, d] = f.children
    await expectRejectedWithNothingWritten(f, reroot(f, [a!, c!, d!]), 'ShareStructureError')
  })

  it('a duplicated block', async () => {
    const f = await fixture()
    const [a, , c, d] = f.children
    await expectRejectedWithNothingWritten(f, reroot(f, [a!, a!, c!, d!]), 'BlockAuthenticationError')
  })

  it('truncation at a block boundary', async () => {
    const f = await fixture()
    const [a, b] = f.children
    await expectRejectedWithNothingWritten(f, reroot(f, [a!, b!], { size: 2 * B }), 'BlockAuthenticationError')
  })

  it('an early final flag', async () => {
    const f = await fixture()
    const { blockKey } = deriveSubkeys(f.shared.key)
    const early = f.source.put(sealBlock(blockKey, 1, true, new Uint8Array(B).fill(7)))
    const [a, , c, d] = f.children
    await expectRejectedWithNothingWritten(f, reroot(f, [a!, early, c!, d!]), 'BlockAuthenticationError')
  })

  it('one flipped bit in a block, served under its original CID', async () => {
    const f = await fixture()
    const target = f.children[2]!.toString()
    const bytes = f.source.blocks.get(target)!.slice()
    bytes[100]! ^= 0x04
    f.source.blocks.set(target, bytes)
    await expectRejectedWithNothingWritten(f, f.shared.cid, 'BlockAuthenticationError')
  })

  it('one flipped bit in a block, re-addressed under a new CID', async () => {
    const f = await fixture()
    const bytes = f.source.blocks.get(f.children[1]!.toString())!.slice()
    bytes[0]! ^= 0x80
    const [a, , c, d] = f.children
    await expectRejectedWithNothingWritten(f, reroot(f, [a!, f.source.put(bytes), c!, d!]), 'BlockAuthenticationError')
  })

  it('one flipped bit in a tag', async () => {
    const f = await fixture()
    const bytes = f.source.blocks.get(f.children[3]!.toString())!.slice()
    bytes[bytes.length - 1]! ^= 0x01
    const [a, b, c] = f.children
    await expectRejectedWithNothingWritten(f, reroot(f, [a!, b!, c!, f.source.put(bytes)]), 'BlockAuthenticationError')
  })

  it('one flipped bit in the manifest, served under its original CID', async () => {
    const f = await fixture()
    const root = f.source.blocks.get(f.shared.cid.toString())!.slice()
    root[root.length - 3]! ^= 0x01
    f.source.blocks.set(f.shared.cid.toString(), root)
    await expectRejectedWithNothingWritten(f, f.shared.cid, 'BlockHashMismatchError')
  })

  it('one flipped bit in the manifest\'s sealed metadata, re-addressed', async () => {
    const f = await fixture()
    const root = f.source.blocks.get(f.shared.cid.toString())!.slice()
    root[root.length - 3]! ^= 0x01
    const { dagCborCid } = await import('../../../src/format/cid.js')
    const cid = dagCborCid(root)
    f.source.blocks.set(cid.toString(), root)
    await expectRejectedWithNothingWritten(f, cid, 'InvalidManifestError')
  })
})

describe('a wrong key', () => {
  it('fails the key commitment before any block is decrypted or fetched', async () => {
    const f = await fixture()
    const wrong = f.shared.key.slice()
    wrong[31]! ^= 0xff
    const { mkdir } = await import('node:fs/promises')
    await mkdir(join(f.dir, 'out'))
    const attempt = exportShare({ cid: f.shared.cid, key: wrong }, f.source, { output: f.output })
    await expect(attempt).rejects.toMatchObject({ name: 'KeyMismatchError', message: expect.stringContaining('does not match') })
    expect(f.source.requested).toEqual([f.shared.cid.toString()])
    expect(await readdir(join(f.dir, 'out'))).toEqual([])
  })
})
