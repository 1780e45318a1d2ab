import { describe, expect, it } from 'vitest'
import { MemoryBlockStore, openBlockStore, type Block, type BlockStore } from '../../../src/blockstore/index.js'
import { damaged } from './fixtures.js'
import { blockStoreSuite } from './suite.js'

blockStoreSuite('MemoryBlockStore', () => {
  const stores: BlockStore[] = []
  return {
    async open (init) {
      const store = new MemoryBlockStore(init)
      stores.push(store)
      return store
    },
    async corrupt (store, cid) {
      // The library has no corruption hook on purpose; the test reaches into
      // the private map instead (if it is renamed, this fails loudly).
      const held = (store as unknown as { blocks: Map<string, Block> }).blocks.get(cid.toString())
      if (held === undefined) expect.fail(`block ${cid.toString()} is not held, so it cannot be corrupted`)
      held.bytes = damaged(held.bytes)
      return store
    },
    async cleanup () {
      await Promise.all(stores.splice(0).map(async store => { await store.close() }))
    }
  }
})

describe('openBlockStore without a path', () => {
  it('opens a memory store with the given limit', async () => {
    const store = await openBlockStore({ maxBlockSize: 10 })
    expect(store).toBeInstanceOf(MemoryBlockStore)
    expect((store as MemoryBlockStore).maxBlockSize).toBe(10)
    await store.close()
  })

  it('rejects a nonsense size limit', () => {
    expect(() => new MemoryBlockStore({ maxBlockSize: -1 })).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
  })
})
