import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CID } from 'multiformats/cid'
import { LevelBlockStore, openBlockStore, type BlockStore } from '../../../src/blockstore/index.js'
import { BLOCK_META_VERSION, decodeBlockMeta } from '../../../src/blockstore/block-meta.js'
import { BlockFiles } from '../../../src/blockstore/block-files.js'
import { KiB, MiB, collect, damaged, expectEmpty, expectRejectsNamed, expectSameBytes, rawBlock } from './fixtures.js'
import { blockStoreSuite } from './suite.js'

/**
 * A second handle on the store's database, for writing behind its back. LevelDB
 * allows one handle per directory, so the store must be closed first.
 */
async function withRawSublevel (path: string, name: string, work: (sublevel: ReturnType<typeof bytesSublevel>) => Promise<void>): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(join(path, 'index'), { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  try {
    await work(bytesSublevel(db, name))
  } finally {
    await db.close()
  }
}

function bytesSublevel (db: Level<Uint8Array, Uint8Array>, name: string) {
  return db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' })
}

/** Temporary directories and the stores opened in them, all removed by `cleanup`. */
function levelHarness () {
  const dirs: string[] = []
  const stores: BlockStore[] = []
  const track = (store: LevelBlockStore): LevelBlockStore => { stores.push(store); return store }
  return {
    async newPath (): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), 'veil-blockstore-'))
      dirs.push(dir)
      return join(dir, 'store')
    },
    async open (init: { maxBlockSize?: number } = {}): Promise<LevelBlockStore> {
      return track(await LevelBlockStore.open(await this.newPath(), init))
    },
    async reopen (store: LevelBlockStore): Promise<LevelBlockStore> {
      await store.close()
      return track(await LevelBlockStore.open(store.path, { maxBlockSize: store.maxBlockSize }))
    },
    async corrupt (store: BlockStore, cid: CID): Promise<BlockStore> {
      const level = store as LevelBlockStore
      await level.close()
      // Damage the block's file in place, as a failing disk would.
      const path = new BlockFiles(join(level.path, 'blocks')).pathOf(cid)
      await writeFile(path, damaged(await readFile(path)))
      return await this.reopen(level)
    },
    async cleanup (): Promise<void> {
      await Promise.all(stores.splice(0).map(async store => { await store.close() }))
      await Promise.all(dirs.splice(0).map(async dir => { await rm(dir, { recursive: true, force: true }) }))
    }
  }
}

blockStoreSuite('LevelBlockStore', levelHarness)

describe('LevelBlockStore on disk', () => {
  let harness: ReturnType<typeof levelHarness>
  let store: LevelBlockStore

  beforeEach(async () => {
    harness = levelHarness()
    store = await harness.open()
  })

  afterEach(async () => {
    await harness.cleanup()
  })

  it('keeps blocks and size across close and reopen', async () => {
    const blocks = [rawBlock(0), rawBlock(1), rawBlock(64 * KiB), rawBlock(MiB)]
    await store.putMany(blocks)
    await store.delete(blocks[2]!.cid)
    const before = await store.size()
    expect(before).toEqual({ blocks: 3, bytes: MiB + 1 })

    store = await harness.reopen(store)
    expect(await store.size()).toEqual(before)
    expect((await collect(store.cids())).map(String).sort()).toEqual([blocks[0]!, blocks[1]!, blocks[3]!].map(b => b.cid.toString()).sort())
    expectSameBytes(await store.get(blocks[3]!.cid), blocks[3]!.bytes)
    expect(await store.has(blocks[2]!.cid)).toBe(false)
  })

  it('accepts sync writes, including a sync put of a block already held', async () => {
    const a = rawBlock(MiB)
    const b = rawBlock(10)
    await store.put(a)
    await store.put(a, { sync: true })
    await store.putMany([a, b], { sync: true })
    store = await harness.reopen(store)
    expect(await store.size()).toEqual({ blocks: 2, bytes: MiB + 10 })
  })

  it('creates missing parent directories', async () => {
    const path = join(await harness.newPath(), 'deeper', 'still')
    const nested = await LevelBlockStore.open(path)
    await nested.put(rawBlock(3))
    await nested.close()
    const again = await LevelBlockStore.open(path)
    expect(await again.size()).toEqual({ blocks: 1, bytes: 3 })
    await again.close()
  })

  it('writes a versioned meta record beside each block', async () => {
    const block = rawBlock(1234)
    const before = Date.now()
    await store.put(block)
    const after = Date.now()
    await store.close()
    await withRawSublevel(store.path, 'm', async meta => {
      const record = await meta.get(block.cid.bytes)
      expect(record?.[0]).toBe(BLOCK_META_VERSION)
      const decoded = decodeBlockMeta(record!)
      expect(decoded?.byteLength).toBe(1234)
      expect(decoded!.storedAt).toBeGreaterThanOrEqual(before)
      expect(decoded!.storedAt).toBeLessThanOrEqual(after)
    })
  })

  it('counts a block whose meta record is damaged by the block\'s own length', async () => {
    const block = rawBlock(777)
    await store.putMany([block, rawBlock(3)])
    await store.close()
    await withRawSublevel(store.path, 'm', async meta => { await meta.put(block.cid.bytes, Uint8Array.of(0xff)) })
    store = await harness.reopen(store)
    expect(await store.size()).toEqual({ blocks: 2, bytes: 780 })
    expectSameBytes(await store.get(block.cid), block.bytes)
    await store.delete(block.cid)
    expect(await store.size()).toEqual({ blocks: 1, bytes: 3 })
    expect(await store.has(block.cid)).toBe(false)
  })

  it('reports a block whose file vanished as corrupt, and can delete it', async () => {
    const block = rawBlock(50)
    await store.put(block)
    await rm(new BlockFiles(join(store.path, 'blocks')).pathOf(block.cid))
    await expectRejectsNamed(store.get(block.cid), 'BlockCorruptError')
    await store.delete(block.cid)
    expect(await store.has(block.cid)).toBe(false)
    expect(await store.size()).toEqual({ blocks: 0, bytes: 0 })
  })

  it('removes a block\'s file when the block is deleted', async () => {
    const block = rawBlock(50)
    await store.put(block, { sync: true })
    const path = new BlockFiles(join(store.path, 'blocks')).pathOf(block.cid)
    expect(await readFile(path)).toHaveLength(50)
    await store.delete(block.cid)
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  describe('extra batch operations', () => {
    it('commits them with the blocks, even when the block is already held', async () => {
      const leases = store.sublevel('leases')
      const block = rawBlock(100)
      await store.put(block, { sync: true, extraOps: [{ type: 'put', sublevel: leases, key: block.cid.bytes, value: Uint8Array.of(1) }] })
      await store.put(block, { extraOps: [{ type: 'put', sublevel: leases, key: block.cid.bytes, value: Uint8Array.of(2) }] })
      expectSameBytes((await leases.get(block.cid.bytes))!, Uint8Array.of(2))
      expect(await store.size()).toEqual({ blocks: 1, bytes: 100 })

      await store.putMany([], { extraOps: [{ type: 'del', sublevel: leases, key: block.cid.bytes }] })
      expect(await leases.get(block.cid.bytes)).toBeUndefined()
      expect(await store.has(block.cid)).toBe(true)
    })

    it('writes none of them when a block is bad', async () => {
      const leases = store.sublevel('leases')
      const good = rawBlock(10)
      const bad = { cid: rawBlock(10).cid, bytes: good.bytes }
      await expectRejectsNamed(store.putMany([good, bad], {
        extraOps: [{ type: 'put', sublevel: leases, key: good.cid.bytes, value: Uint8Array.of(1) }]
      }), 'BlockHashMismatchError')
      expect(await leases.get(good.cid.bytes)).toBeUndefined()
      await expectEmpty(store)
    })

    it('survive reopen in the same sublevel', async () => {
      const block = rawBlock(10)
      await store.put(block, { extraOps: [{ type: 'put', sublevel: store.sublevel('pins'), key: block.cid.bytes, value: Uint8Array.of(7) }] })
      store = await harness.reopen(store)
      expectSameBytes((await store.sublevel('pins').get(block.cid.bytes))!, Uint8Array.of(7))
      expect(await store.size()).toEqual({ blocks: 1, bytes: 10 })
    })

    it('must target a sublevel from this store', async () => {
      const other = await harness.open()
      const foreign = other.sublevel('leases')
      const block = rawBlock(10)
      await expectRejectsNamed(store.put(block, { extraOps: [{ type: 'put', sublevel: foreign, key: block.cid.bytes, value: Uint8Array.of(1) }] }), 'InvalidParametersError')
      await expectEmpty(store)
    })

    it('cannot reach the block or meta sublevels', () => {
      for (const name of ['b', 'm', 'x', '', 'Leases', 'has!bang', 'a'.repeat(33)]) {
        expect(() => store.sublevel(name), name).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
      }
      expect(store.sublevel('leases')).toBe(store.sublevel('leases'))
    })
  })

  it('openBlockStore with a path opens a level store there', async () => {
    const path = await harness.newPath()
    const opened = await openBlockStore({ path, maxBlockSize: 2048 })
    expect(opened).toBeInstanceOf(LevelBlockStore)
    expect((opened as LevelBlockStore).path).toBe(path)
    await expectRejectsNamed(opened.put(rawBlock(2049)), 'BlockTooLargeError')
    await opened.close()
  })
})
