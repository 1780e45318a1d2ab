import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import type { CID } from 'multiformats/cid'
import { importBytes, importFolder, exportShare, MemoryBlockStore, type BlockSource, type ExportProgressEvents, type ShareResult } from '../../../src/index.js'
import { rawFolder, type RawEntry } from '../../helpers/folders.js'
import { tempDir, exists } from '../../helpers/files.js'

/** Counts every block asked for. */
class CountingSource implements BlockSource {
  gets = 0
  constructor (private readonly inner: BlockSource) {}
  async get (cid: CID): Promise<Uint8Array> {
    this.gets++
    return await this.inner.get(cid)
  }
}

function ref (name: string, share: ShareResult, kind: 'file' | 'folder', size: number): RawEntry {
  return { name, kind, size, cid: share.cid, key: share.key }
}

/**
 * A folder bomb: one 5-byte file, then `levels` folders of `width` entries
 * each naming the level below — width^levels files from a few KB of blocks.
 */
async function bomb (store: MemoryBlockStore, width: number, levels: number): Promise<{ top: ShareResult, files: number }> {
  const file = await importBytes(new TextEncoder().encode('boom!'), store, { name: 'f.txt' })
  let below = file
  let kind: 'file' | 'folder' = 'file'
  let size = 5
  for (let level = 0; level < levels; level++) {
    const entries = Array.from({ length: width }, (_, i) => ref(`e${String(i).padStart(4, '0')}`, below, kind, size))
    below = await rawFolder(entries, store, `level${level}`)
    kind = 'folder'
    size *= width
  }
  return { top: below, files: width ** levels }
}

async function listTree (dir: string): Promise<string[]> {
  return await readdir(dir, { recursive: true }).catch(() => [])
}

describe('folder bombs', () => {
  it('refuses a million files from a few KB of listings before writing any of them', async () => {
    const store = new MemoryBlockStore()
    const { top, files } = await bomb(store, 100, 3)
    expect(files).toBe(1_000_000)
    let stored = 0
    for await (const cid of store.cids()) stored += (await store.get(cid)).length
    expect(stored).toBeLessThan(64 * 1024)
    const source = new CountingSource(store)
    const out = join(await tempDir(), 'out')
    const started = performance.now()
    await expect(exportShare({ cid: top.cid, key: top.key }, source, { output: out })).rejects.toMatchObject({
      name: 'FolderLimitError',
      message: expect.stringContaining('more than 100000 files and folders')
    })
    expect(performance.now() - started).toBeLessThan(5_000)
    expect(await exists(out)).toBe(false)
    // Each distinct listing was read once, however often it is named.
    expect(source.gets).toBeLessThan(20)
  })

  it('refuses nesting past the depth limit, and allows it when asked', async () => {
    const store = new MemoryBlockStore()
    const { top } = await bomb(store, 1, 70)
    const out = join(await tempDir(), 'deep')
    await expect(exportShare({ cid: top.cid, key: top.key }, store, { output: out })).rejects.toMatchObject({
      name: 'FolderLimitError',
      message: expect.stringContaining('more than 64 deep')
    })
    expect(await exists(out)).toBe(false)
    const result = await exportShare({ cid: top.cid, key: top.key }, store, { output: out, folderLimits: { maxDepth: 70 } })
    expect(result.files).toBe(1)
  })

  it('counts declared sizes against the byte limit and checks each against what the entry holds', async () => {
    const store = new MemoryBlockStore()
    const file = await importBytes(new Uint8Array(100), store, { name: 'f.bin' })
    const three = await rawFolder([ref('a', file, 'file', 100), ref('b', file, 'file', 100), ref('c', file, 'file', 100)], store)
    const dir = await tempDir()
    await expect(exportShare({ cid: three.cid, key: three.key }, store, { output: join(dir, 'x'), folderLimits: { maxBytes: 250 } })).rejects.toMatchObject({ name: 'FolderLimitError', message: expect.stringContaining('more than 250 bytes') })
    expect((await exportShare({ cid: three.cid, key: three.key }, store, { output: join(dir, 'y'), folderLimits: { maxBytes: 300 } })).bytesWritten).toBe(300)

    // A file entry that understates its size is caught before the file is written.
    const liar = await rawFolder([ref('small', file, 'file', 1)], store)
    await expect(exportShare({ cid: liar.cid, key: liar.key }, store, { output: join(dir, 'z') })).rejects.toMatchObject({ name: 'ShareStructureError', message: expect.stringContaining('listed as 1 bytes but holds 100') })
    expect(await listTree(join(dir, 'z'))).toEqual([])
    // A file entry declaring 2^53 bytes is over the default 1 TiB at once.
    const huge = await rawFolder([ref('huge', file, 'file', Number.MAX_SAFE_INTEGER)], store)
    await expect(exportShare({ cid: huge.cid, key: huge.key }, store, { output: join(dir, 'h') })).rejects.toMatchObject({ name: 'FolderLimitError' })
    // A folder entry whose declared total disagrees with its entries.
    const wrongTotal = await rawFolder([ref('sub', three, 'folder', 299)], store)
    await expect(exportShare({ cid: wrongTotal.cid, key: wrongTotal.key }, store, { output: join(dir, 'w') })).rejects.toMatchObject({ name: 'ShareStructureError', message: expect.stringContaining('add up to 300') })
    expect(await exists(join(dir, 'w'))).toBe(false)
  })

  it('says how many files, folders and bytes a folder holds before writing the first', async () => {
    const dir = await tempDir()
    const input = join(dir, 'album')
    await mkdir(join(input, 'inner', 'deeper'), { recursive: true })
    await writeFile(join(input, 'a.txt'), 'a'.repeat(10))
    await writeFile(join(input, 'inner', 'b.txt'), 'b'.repeat(20))
    await writeFile(join(input, 'inner', 'deeper', 'c.txt'), 'c'.repeat(30))
    const store = new MemoryBlockStore()
    const shared = await importFolder(input, store)
    const events: string[] = []
    let summary: unknown
    const onProgress = (event: ExportProgressEvents): void => {
      events.push(event.type)
      if (event.type === 'veil:export:folder') summary = event.detail
    }
    const result = await exportShare({ cid: shared.cid, key: shared.key }, store, { output: join(dir, 'out'), onProgress })
    expect(summary).toEqual({ files: 3, folders: 2, bytes: 60, depth: 2 })
    expect(events.indexOf('veil:export:folder')).toBeLessThan(events.indexOf('veil:export:block'))
    expect(events.indexOf('veil:export:folder')).toBeLessThan(events.indexOf('veil:export:start'))
    expect(result.files).toBe(3)
    expect(result.bytesWritten).toBe(60)
  })

  it('rejects nonsense limits with a clear error', async () => {
    const store = new MemoryBlockStore()
    const { top } = await bomb(store, 1, 1)
    await expect(exportShare({ cid: top.cid, key: top.key }, store, { output: join(await tempDir(), 'x'), folderLimits: { maxEntries: -1 } })).rejects.toMatchObject({ name: 'InvalidOptionError' })
  })
})
