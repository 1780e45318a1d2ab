import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { openSync, writeSync, closeSync } from 'node:fs'
import { importFile, MemoryBlockStore, type ImportProgressEvents } from '../../../src/index.js'
import { tempDir, writeRandomFile } from '../../helpers/files.js'

const BLOCK = 65536
const SECRET = new Uint8Array(32).fill(9)

/** Raw (content) block CIDs in a store. */
async function contentBlocks (store: MemoryBlockStore): Promise<string[]> {
  const out: string[] = []
  for await (const cid of store.cids()) if (cid.code === 0x55) out.push(cid.toString())
  return out
}

/** Overwrite a few bytes of the file in place, synchronously. */
function scribble (path: string, offset: number): void {
  const fd = openSync(path, 'r+')
  writeSync(fd, Buffer.from('changed!'), 0, 8, offset)
  closeSync(fd)
}

describe('convergent mode with a file that changes after the hashing pass', () => {
  for (const changedBlock of [0, 5, 9]) {
    it(`never seals changed content under the content's key (block ${changedBlock} changed)`, async () => {
      const dir = await tempDir()
      const input = join(dir, 'moving.bin')
      await writeRandomFile(input, 10 * BLOCK)
      const options = { blockSize: BLOCK, padding: 'none' as const, convergenceSecret: SECRET }
      const original = new MemoryBlockStore()
      await importFile(input, original, options)
      const honest = new Set(await contentBlocks(original))

      // The key is derived in the hashing pass; the file changes right after
      // it, before the sealing pass reads the block.
      const store = new MemoryBlockStore()
      const onProgress = (event: ImportProgressEvents): void => {
        if (event.type === 'veil:import:start') scribble(input, changedBlock * BLOCK + 100)
      }
      await expect(importFile(input, store, { ...options, onProgress })).rejects.toMatchObject({
        name: 'InputChangedError',
        message: expect.stringContaining(`block ${changedBlock} differs`)
      })
      // Only blocks of the hashed content were sealed: each is one of the honest import's.
      const sealed = await contentBlocks(store)
      expect(sealed.length).toBeLessThanOrEqual(changedBlock)
      for (const cid of sealed) expect(honest.has(cid)).toBe(true)
    })
  }

  it('still shares an unchanging file, every block checked', async () => {
    const dir = await tempDir()
    const input = join(dir, 'still.bin')
    await writeRandomFile(input, 3 * BLOCK + 17)
    const first = await importFile(input, new MemoryBlockStore(), { blockSize: BLOCK, convergenceSecret: SECRET })
    const again = await importFile(input, new MemoryBlockStore(), { blockSize: BLOCK, convergenceSecret: SECRET })
    expect(first.cid.equals(again.cid)).toBe(true)
    expect(first.blocks).toBe(4)
  })
})
