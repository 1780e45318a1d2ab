/**
 * The one behaviour suite every block store must pass. Each store's test file
 * calls `blockStoreSuite` with a harness that knows how to open a fresh store
 * and how to damage a stored block behind the store's back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CID } from 'multiformats/cid'
import { DEFAULT_MAX_BLOCK_SIZE, type Block, type BlockStore } from '../../../src/blockstore/index.js'
import { dagCborCid } from '../../../src/format/cid.js'
import { KiB, MiB, collect, dagCborBlock, encodedDagCborBlock, expectEmpty, expectRejectsNamed, expectSameBytes, rawBlock, unsupportedCids } from './fixtures.js'

export interface BlockStoreHarness {
  /** A new, empty store. */
  open: (init?: { maxBlockSize?: number }) => Promise<BlockStore>
  /**
   * Change the stored bytes of `cid` without going through the store, and
   * return the store to go on with (a persistent store may need reopening).
   */
  corrupt: (store: BlockStore, cid: CID) => Promise<BlockStore>
  /** Close every store still open and remove what the harness created. */
  cleanup: () => Promise<void>
}

const EDGE_SIZES: Array<[string, number]> = [
  ['0 bytes', 0], ['1 byte', 1], ['64 KiB', 64 * KiB], ['1 MiB', MiB], ['4 MiB', 4 * MiB]
]

export function blockStoreSuite (name: string, createHarness: () => BlockStoreHarness): void {
  describe(`${name} (block store suite)`, () => {
    let harness: BlockStoreHarness
    let store: BlockStore

    beforeEach(async () => {
      harness = createHarness()
      store = await harness.open()
    })

    afterEach(async () => {
      await harness.cleanup()
    })

    describe('round trip', () => {
      for (const [label, size] of EDGE_SIZES) {
        it(`stores and returns a raw block of ${label}`, async () => {
          const block = rawBlock(size)
          await store.put(block)
          const got = await store.get(block.cid)
          expectSameBytes(got, block.bytes)
          expect(Object.getPrototypeOf(got), 'a plain Uint8Array, not a Buffer').toBe(Uint8Array.prototype)
          expect(await store.size()).toEqual({ blocks: 1, bytes: size })
        })

        it(`stores and returns a dag-cbor block of ${label}`, async () => {
          const block = dagCborBlock(size)
          await store.put(block)
          expectSameBytes(await store.get(block.cid), block.bytes)
        })
      }

      it('stores a real dag-cbor node', async () => {
        const block = encodedDagCborBlock({ v: 1, blocks: [1, 2, 3], name: 'manifest' })
        await store.put(block)
        expectSameBytes(await store.get(block.cid), block.bytes)
      })

      it('keeps raw and dag-cbor CIDs of the same bytes apart', async () => {
        const asRaw = rawBlock(100)
        const asCbor = { cid: dagCborCid(asRaw.bytes), bytes: asRaw.bytes }
        await store.put(asRaw)
        expect(await store.has(asRaw.cid)).toBe(true)
        expect(await store.has(asCbor.cid)).toBe(false)
        await store.put(asCbor)
        expect(await store.size()).toEqual({ blocks: 2, bytes: 200 })
      })

      it('accepts a block of exactly the size limit', async () => {
        const block = rawBlock(DEFAULT_MAX_BLOCK_SIZE)
        await store.put(block)
        expectSameBytes(await store.get(block.cid), block.bytes)
      })

      it('keeps its own copy: the caller may reuse its buffer or the returned bytes', async () => {
        const block = rawBlock(1000)
        const original = new Uint8Array(block.bytes)
        await store.put(block)
        block.bytes.fill(7)
        const first = await store.get(block.cid)
        expectSameBytes(first, original)
        first.fill(9)
        expectSameBytes(await store.get(block.cid), original)
      })
    })

    describe('verification on put', () => {
      it('writes what it verified even if the caller reuses its buffer before the put resolves', async () => {
        const block = rawBlock(64 * KiB)
        const original = new Uint8Array(block.bytes)
        const pending = store.putMany([block, rawBlock(1)])
        block.bytes.fill(3)
        await pending
        expectSameBytes(await store.get(block.cid), original)
      })

      it('rejects bytes that do not match the CID and stores nothing', async () => {
        const block = rawBlock(1000)
        const other = rawBlock(1000)
        const err = await expectRejectsNamed(store.put({ cid: block.cid, bytes: other.bytes }), 'BlockHashMismatchError')
        expect(err.message).toContain(block.cid.toString())
        expect(await store.has(block.cid)).toBe(false)
        await expectEmpty(store)
      })

      it('putMany with one bad block stores none of them', async () => {
        const good = [rawBlock(10), rawBlock(20), rawBlock(30)]
        const bad: Block = { cid: rawBlock(5).cid, bytes: rawBlock(5).bytes }
        await expectRejectsNamed(store.putMany([good[0]!, good[1]!, bad, good[2]!]), 'BlockHashMismatchError')
        for (const block of good) expect(await store.has(block.cid)).toBe(false)
        await expectEmpty(store)
      })

      it('putMany stores every block and counts a repeated block once', async () => {
        const blocks = [rawBlock(10), rawBlock(20), dagCborBlock(30)]
        await store.putMany([...blocks, blocks[0]!])
        for (const block of blocks) expectSameBytes(await store.get(block.cid), block.bytes)
        expect(await store.size()).toEqual({ blocks: 3, bytes: 60 })
        await store.putMany([])
        expect(await store.size()).toEqual({ blocks: 3, bytes: 60 })
      })

      it('putMany takes any iterable, including a generator', async () => {
        const blocks = [rawBlock(1), rawBlock(2)]
        await store.putMany((function * () { yield * blocks })())
        expect(await store.size()).toEqual({ blocks: 2, bytes: 3 })
      })

      it('rejects hashes Veil cannot verify with UnsupportedHashError', async () => {
        const bytes = rawBlock(64).bytes
        for (const [label, cid] of await unsupportedCids(bytes)) {
          await expectRejectsNamed(store.put({ cid, bytes }), 'UnsupportedHashError')
          await expectRejectsNamed(store.get(cid), 'UnsupportedHashError')
          expect(await store.has(cid), label).toBe(false)
          await store.delete(cid)
        }
        await expectEmpty(store)
      })

      it('rejects a block over the size limit before hashing it', async () => {
        const big = rawBlock(DEFAULT_MAX_BLOCK_SIZE + 1)
        await expectRejectsNamed(store.put(big), 'BlockTooLargeError')
        // A wrong CID too: the size check comes first, so no hash is computed.
        await expectRejectsNamed(store.put({ cid: rawBlock(1).cid, bytes: big.bytes }), 'BlockTooLargeError')
        await expectRejectsNamed(store.putMany([rawBlock(1), big]), 'BlockTooLargeError')
        await expectEmpty(store)
      })

      it('honours a configured size limit', async () => {
        const small = await harness.open({ maxBlockSize: 1024 })
        await small.put(rawBlock(1024))
        await expectRejectsNamed(small.put(rawBlock(1025)), 'BlockTooLargeError')
        expect(await small.size()).toEqual({ blocks: 1, bytes: 1024 })
      })

      it('an aborted put stores nothing', async () => {
        const controller = new AbortController()
        controller.abort()
        await expectRejectsNamed(store.put(rawBlock(10), { signal: controller.signal }), 'AbortError')
        await expectEmpty(store)
      })
    })

    describe('reads', () => {
      it('get of a missing block throws BlockNotFoundError naming the CID', async () => {
        const block = rawBlock(10)
        const err = await expectRejectsNamed(store.get(block.cid), 'BlockNotFoundError')
        expect(err.message).toContain(block.cid.toString())
      })

      for (const [label, size] of [['empty', 0], ['1 MiB', MiB]] as const) {
        it(`get of a corrupted ${label} block throws BlockCorruptError and leaves it for the caller to delete`, async () => {
          const block = rawBlock(size)
          const neighbour = rawBlock(10)
          await store.putMany([block, neighbour])
          store = await harness.corrupt(store, block.cid)

          const err = await expectRejectsNamed(store.get(block.cid), 'BlockCorruptError')
          expect(err.message).toContain(block.cid.toString())
          expect(err.message).toMatch(/corrupt/)
          expect(err.message).toMatch(/delete/)
          expect(await store.has(block.cid)).toBe(true)
          expect(await store.size()).toEqual({ blocks: 2, bytes: size + 10 })
          expectSameBytes(await store.get(neighbour.cid), neighbour.bytes)

          await store.delete(block.cid)
          expect(await store.size()).toEqual({ blocks: 1, bytes: 10 })
          await store.put(block)
          expectSameBytes(await store.get(block.cid), block.bytes)
        })
      }

      it('get with verify: false hands back the stored bytes without re-hashing them (a corrupted block included)', async () => {
        const block = rawBlock(MiB)
        await store.put(block)
        expectSameBytes(await store.get(block.cid, { verify: false }), block.bytes)
        store = await harness.corrupt(store, block.cid)
        await expectRejectsNamed(store.get(block.cid), 'BlockCorruptError')
        const unchecked = await store.get(block.cid, { verify: false })
        expect(unchecked.byteLength).toBeGreaterThan(0)
        expect(Buffer.from(unchecked).equals(Buffer.from(block.bytes))).toBe(false)
      })

      it('has, delete and cids agree', async () => {
        const blocks = [rawBlock(1), rawBlock(2), dagCborBlock(3)]
        await store.putMany(blocks)
        const listed = (await collect(store.cids())).map(cid => cid.toString()).sort()
        expect(listed).toEqual(blocks.map(b => b.cid.toString()).sort())

        await store.delete(blocks[1]!.cid)
        expect(await store.has(blocks[1]!.cid)).toBe(false)
        await expectRejectsNamed(store.get(blocks[1]!.cid), 'BlockNotFoundError')
        expect(await store.has(blocks[0]!.cid)).toBe(true)
        expect((await collect(store.cids())).length).toBe(2)

        await store.delete(blocks[1]!.cid) // absent: a no-op
        await store.delete(rawBlock(5).cid)
        expect(await store.size()).toEqual({ blocks: 2, bytes: 4 })
      })

      it('cids can delete while iterating', async () => {
        await store.putMany([rawBlock(1), rawBlock(2), rawBlock(3)])
        for await (const cid of store.cids()) await store.delete(cid)
        await expectEmpty(store)
      })
    })

    describe('size counters', () => {
      it('count a block put twice once and decrement on delete', async () => {
        const a = rawBlock(100)
        const b = rawBlock(50)
        await store.put(a)
        await store.put(a)
        await store.putMany([a, b])
        expect(await store.size()).toEqual({ blocks: 2, bytes: 150 })
        await store.delete(a.cid)
        expect(await store.size()).toEqual({ blocks: 1, bytes: 50 })
        await store.delete(a.cid)
        expect(await store.size()).toEqual({ blocks: 1, bytes: 50 })
      })

      it('count concurrent puts of the same block once', async () => {
        const a = rawBlock(64 * KiB)
        const b = rawBlock(1)
        await Promise.all([
          store.put(a), store.put(a), store.putMany([b, a]), store.putMany([a, b]), store.put(b, { sync: true })
        ])
        expect(await store.size()).toEqual({ blocks: 2, bytes: 64 * KiB + 1 })
      })

      it('stay equal to what is held under concurrent puts and deletes', async () => {
        const blocks = Array.from({ length: 8 }, (_, i) => rawBlock(i * 10))
        const work: Array<Promise<void>> = []
        for (let round = 0; round < 4; round++) {
          for (const block of blocks) {
            work.push(store.put(block))
            if ((round + block.bytes.byteLength) % 3 === 0) work.push(store.delete(block.cid))
          }
        }
        await Promise.all(work)
        let held = 0
        let bytes = 0
        for (const block of blocks) {
          if (await store.has(block.cid)) {
            held++
            bytes += block.bytes.byteLength
          }
        }
        expect(await store.size()).toEqual({ blocks: held, bytes })
        expect((await collect(store.cids())).length).toBe(held)
      })
    })

    describe('close', () => {
      it('rejects every call with StoreClosedError and may be called twice', async () => {
        const block = rawBlock(10)
        await store.put(block)
        await store.close()
        await store.close()
        await expectRejectsNamed(store.put(rawBlock(1)), 'StoreClosedError')
        await expectRejectsNamed(store.putMany([rawBlock(1)]), 'StoreClosedError')
        await expectRejectsNamed(store.get(block.cid), 'StoreClosedError')
        await expectRejectsNamed(store.has(block.cid), 'StoreClosedError')
        await expectRejectsNamed(store.delete(block.cid), 'StoreClosedError')
        await expectRejectsNamed(store.size(), 'StoreClosedError')
        await expectRejectsNamed(collect(store.cids()), 'StoreClosedError')
      })
    })
  })
}
