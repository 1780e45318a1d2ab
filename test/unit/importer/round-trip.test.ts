import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { mkdir, writeFile } from 'node:fs/promises'
import { importFile, importFolder, exportShare, formatLink, MemoryBlockStore, openBlockStore, type PaddingMode } from '../../../src/index.js'
import { tempDir, writeRandomFile, sha256File, treeDigest, exists } from '../../helpers/files.js'

const KiB = 1024
const MiB = 1024 * KiB

async function roundTrip (size: number, blockSize: number, padding: PaddingMode = 'padme'): Promise<void> {
  const dir = await tempDir()
  const input = join(dir, 'input.bin')
  const output = join(dir, 'output.bin')
  const digest = await writeRandomFile(input, size)
  const store = new MemoryBlockStore()
  const shared = await importFile(input, store, { blockSize, padding })
  expect(shared.meta.size).toBe(size)
  const result = await exportShare(formatLink({ cid: shared.cid, key: shared.key }), store, { output })
  expect(result.bytesWritten).toBe(size)
  expect(await sha256File(output)).toBe(digest)
  expect(await exists(output + '.veil-part')).toBe(false)
  expect(await exists(output + '.veil-state')).toBe(false)
}

describe('file round trips are byte-identical', () => {
  const B = 64 * KiB
  for (const [label, size] of [['0 B', 0], ['1 B', 1], ['block−1', B - 1], ['block', B], ['block+1', B + 1], ['3 blocks + 7', 3 * B + 7]] as const) {
    it(`${label} with 64 KiB blocks, Padmé and unpadded`, async () => {
      await roundTrip(size, B, 'padme')
      await roundTrip(size, B, 'none')
    })
  }

  it('block edges with the default 1 MiB blocks', async () => {
    for (const size of [MiB - 1, MiB, MiB + 1, 3 * MiB + 7]) await roundTrip(size, MiB)
  })

  it('64 MiB through the level store', async () => {
    const dir = await tempDir()
    const input = join(dir, 'input.bin')
    const output = join(dir, 'output.bin')
    const digest = await writeRandomFile(input, 64 * MiB)
    const store = await openBlockStore({ path: join(dir, 'store') })
    try {
      const shared = await importFile(input, store)
      await exportShare({ cid: shared.cid, key: shared.key }, store, { output })
      expect(await sha256File(output)).toBe(digest)
    } finally {
      await store.close()
    }
  })

  it('a multi-segment tree (1041 blocks of 64 KiB, root height 1)', async () => {
    await roundTrip(1040 * 64 * KiB + 7, 64 * KiB, 'none')
  })
})

describe('folder round trip', () => {
  it('recreates nested folders, empty files and empty folders exactly', async () => {
    const dir = await tempDir()
    const input = join(dir, 'album')
    await mkdir(join(input, 'nested', 'deeper'), { recursive: true })
    await mkdir(join(input, 'empty-folder'))
    await writeFile(join(input, 'empty.txt'), '')
    await writeRandomFile(join(input, 'a.bin'), 70 * KiB)
    await writeRandomFile(join(input, 'nested', 'b.bin'), 1)
    await writeFile(join(input, 'nested', 'deeper', 'c.txt'), 'hello from deep inside')
    await writeFile(join(input, 'nested', 'deeper', 'empty'), '')

    const store = new MemoryBlockStore()
    const shared = await importFolder(input, store, { blockSize: 64 * KiB })
    expect(shared.meta.kind).toBe('folder')
    expect(shared.files).toBe(5)
    const output = join(dir, 'out')
    const result = await exportShare({ cid: shared.cid, key: shared.key }, store, { output })
    expect(result.kind).toBe('folder')
    expect(result.files).toBe(5)
    expect(await treeDigest(output)).toEqual(await treeDigest(input))
  })
})
