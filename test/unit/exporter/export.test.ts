import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { readFile, writeFile, stat } from 'node:fs/promises'
import { Writable } from 'node:stream'
import type { CID } from 'multiformats/cid'
import { importFile, exportShare, MemoryBlockStore, type BlockSource, type ExportProgressEvents, type ShareResult } from '../../../src/index.js'
import { openShare, readShare } from '../../../src/exporter/index.js'
import { tempDir, writeRandomFile, sha256File, exists } from '../../helpers/files.js'

const B = 64 * 1024

async function shared (size: number): Promise<{ dir: string, input: string, store: MemoryBlockStore, share: ShareResult, bytes: Buffer }> {
  const dir = await tempDir()
  const input = join(dir, 'input.bin')
  await writeRandomFile(input, size)
  const store = new MemoryBlockStore()
  const share = await importFile(input, store, { blockSize: B })
  return { dir, input, store, share, bytes: await readFile(input) }
}

/** Counts content-block requests, and can fail after a number of them. */
class CountingSource implements BlockSource {
  requests = 0
  constructor (private readonly inner: BlockSource, private readonly failAfter = Infinity) {}
  async get (cid: CID): Promise<Uint8Array> {
    if (cid.code === 0x55) {
      if (this.requests >= this.failAfter) throw Object.assign(new Error('simulated network failure'), { name: 'NetworkDown' })
      this.requests++
    }
    return await this.inner.get(cid)
  }
}

describe('byte ranges', () => {
  it('returns exactly the requested bytes, across block edges', async () => {
    const { store, share, bytes } = await shared(5 * B + 123)
    const opened = await openShare({ cid: share.cid, key: share.key }, store)
    const cases: Array<[number, number]> = [[0, 0], [0, 1], [B - 1, 2], [B, B], [3 * B + 5, B + 7], [5 * B, 123], [5 * B + 122, 1], [17, 5 * B + 100]]
    for (const [offset, length] of cases) {
      const chunks: Uint8Array[] = []
      for await (const chunk of readShare(opened, store, { offset, length })) chunks.push(chunk)
      expect(Buffer.concat(chunks).equals(bytes.subarray(offset, offset + length)), `${offset}+${length}`).toBe(true)
    }
  })

  it('reads only the blocks a range covers', async () => {
    const { store, share } = await shared(8 * B)
    const source = new CountingSource(store)
    const opened = await openShare({ cid: share.cid, key: share.key }, source)
    for await (const _ of readShare(opened, source, { offset: 2 * B + 10, length: B })) { /* drain */ }
    expect(source.requests).toBe(2)
  })

  it('writes a range to a file and rejects ranges past the end', async () => {
    const { dir, store, share, bytes } = await shared(3 * B + 7)
    const out = join(dir, 'range.bin')
    await exportShare({ cid: share.cid, key: share.key }, store, { output: out, offset: 100, length: 2 * B })
    expect((await readFile(out)).equals(bytes.subarray(100, 100 + 2 * B))).toBe(true)
    await expect(exportShare({ cid: share.cid, key: share.key }, store, { output: join(dir, 'bad'), offset: 3 * B, length: B }))
      .rejects.toMatchObject({ name: 'InvalidRangeError' })
    await expect(exportShare({ cid: share.cid, key: share.key }, store, { output: join(dir, 'bad'), offset: -1 }))
      .rejects.toMatchObject({ name: 'InvalidRangeError' })
  })
})

describe('outputs', () => {
  it('streams to a writable stream, in order', async () => {
    const { store, share, bytes } = await shared(4 * B + 9)
    const chunks: Buffer[] = []
    const sink = new Writable({ write (chunk: Buffer, _enc, done) { chunks.push(chunk); done() } })
    const result = await exportShare({ cid: share.cid, key: share.key }, store, { output: sink })
    expect(result.bytesWritten).toBe(bytes.length)
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true)
  })

  it('emits progress for every block with the share\'s size first', async () => {
    const { dir, store, share } = await shared(3 * B + 1)
    const events: ExportProgressEvents[] = []
    await exportShare({ cid: share.cid, key: share.key }, store, { output: join(dir, 'p.bin'), onProgress: e => events.push(e) })
    expect(events[0]).toMatchObject({ type: 'veil:export:start', detail: { size: 3 * B + 1, kind: 'file' } })
    const blocks = events.filter(e => e.type === 'veil:export:block')
    expect(blocks.length).toBe(share.blocks)
    expect(blocks.reduce((sum, e) => sum + (e.detail as { bytes: number }).bytes, 0)).toBe(3 * B + 1)
  })

  it('keeps an identical existing file, refuses a different one unless overwrite', async () => {
    const { dir, input, store, share } = await shared(2 * B + 3)
    const out = join(dir, 'existing.bin')
    await writeFile(out, await readFile(input))
    const same = await exportShare({ cid: share.cid, key: share.key }, new CountingSource(store), { output: out })
    expect(same.alreadyComplete).toBe(true)
    await writeFile(out, 'something else')
    await expect(exportShare({ cid: share.cid, key: share.key }, store, { output: out })).rejects.toMatchObject({ name: 'OutputExistsError' })
    expect(await readFile(out, 'utf8')).toBe('something else')
    await exportShare({ cid: share.cid, key: share.key }, store, { output: out, overwrite: true })
    expect(await sha256File(out)).toBe(await sha256File(input))
  })

  it('gives a clear error for an unwritable output', async () => {
    const { dir, store, share } = await shared(10)
    await expect(exportShare({ cid: share.cid, key: share.key }, store, { output: join(dir, 'no', 'such', 'dir', 'f') }))
      .rejects.toMatchObject({ name: 'OutputError', message: expect.stringContaining('does not exist') })
    await expect(exportShare({ cid: share.cid, key: share.key }, store, { output: dir }))
      .rejects.toMatchObject({ name: 'OutputError', message: expect.stringContaining('folder') })
  })
})

describe('resume', () => {
  it('continues an interrupted export without re-reading verified blocks', async () => {
    const { dir, input, store, share } = await shared(20 * B + 5)
    const out = join(dir, 'resumed.bin')
    const failing = new CountingSource(store, 13)
    await expect(exportShare({ cid: share.cid, key: share.key }, failing, { output: out, concurrency: 1, checkpointBlocks: 4 }))
      .rejects.toMatchObject({ name: 'NetworkDown' })
    expect(await exists(out)).toBe(false)
    const state = JSON.parse(await readFile(out + '.veil-state', 'utf8')) as { blocksDone: number, root: string }
    expect(state.blocksDone).toBe(13)
    expect(state.root).toBe(share.cid.toString())
    expect(JSON.stringify(state)).not.toContain(Buffer.from(share.key).toString('base64url'))

    const second = new CountingSource(store)
    const result = await exportShare({ cid: share.cid, key: share.key }, second, { output: out })
    expect(result.resumedBlocks).toBe(13)
    expect(second.requests).toBe(share.blocks - 13)
    expect(await sha256File(out)).toBe(await sha256File(input))
    expect(await exists(out + '.veil-part')).toBe(false)
    expect(await exists(out + '.veil-state')).toBe(false)
  })

  it('resumes only from blocks that check out, whatever the checkpoint claims', async () => {
    const { dir, input, store, share } = await shared(12 * B)
    const out = join(dir, 'o.bin')
    await expect(exportShare({ cid: share.cid, key: share.key }, new CountingSource(store, 10), { output: out, concurrency: 1, checkpointBlocks: 2 }))
      .rejects.toMatchObject({ name: 'NetworkDown' })
    // A power cut lost part of block 6 though the checkpoint says 10 are done.
    const { open } = await import('node:fs/promises')
    const handle = await open(out + '.veil-part', 'r+')
    await handle.write(new Uint8Array(100).fill(0xee), 0, 100, 6 * B + 50)
    await handle.close()
    const source = new CountingSource(store)
    const result = await exportShare({ cid: share.cid, key: share.key }, source, { output: out })
    expect(result.resumedBlocks).toBe(6)
    expect(source.requests).toBe(share.blocks - 6)
    expect(await sha256File(out)).toBe(await sha256File(input))
  })

  it('starts afresh when the state belongs to another share or the part file is short', async () => {
    const { dir, input, store, share } = await shared(6 * B)
    const out = join(dir, 'o.bin')
    await writeFile(out + '.veil-state', JSON.stringify({ version: 1, root: 'bafyother', blockSize: B, size: 6 * B, blocksDone: 5 }))
    await writeFile(out + '.veil-part', 'x')
    const source = new CountingSource(store)
    const result = await exportShare({ cid: share.cid, key: share.key }, source, { output: out })
    expect(result.resumedBlocks).toBe(0)
    expect(source.requests).toBe(share.blocks)
    expect(await sha256File(out)).toBe(await sha256File(input))
    expect((await stat(out)).size).toBe(6 * B)
  })
})
