/**
 * The share job's placement progress (what `veil share` draws as its
 * "placing copies" bar): every unit is queued with the bytes one copy
 * pushes, the acknowledged pushes add up to exactly that times the copies,
 * and every unit ends with its copies.
 */
import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { mkdir, writeFile } from 'node:fs/promises'
import { startNode, addressOf } from '../helpers/swarm.js'
import { startStorageNodes } from '../helpers/storage.js'
import { tempDir, writeRandomFile } from '../helpers/files.js'

const MiB = 1024 * 1024

describe('share placement progress events', () => {
  it('queued bytes × copies = bytes pushed, and each unit is done with its copies', async () => {
    const dir = await tempDir()
    const bootstrap = await startNode()
    await startStorageNodes(2, dir, bootstrap)
    const light = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
    // A folder: each file is a unit of its own, and so is the folder's root.
    const path = join(dir, 'album')
    await mkdir(path)
    await writeRandomFile(join(path, 'a.bin'), 2 * MiB + 3)
    await writeRandomFile(join(path, 'b.bin'), 700 * 1024)
    await writeFile(join(path, 'empty.txt'), '')

    const events: Array<{ type: string, detail: Record<string, unknown> }> = []
    const result = await light.share(path, {
      replicas: 2,
      keepLocal: false,
      onProgress: event => { events.push({ type: event.type, detail: event.detail as Record<string, unknown> }) }
    })
    expect(result.replicas).toBe(2)

    const queued = events.filter(e => e.type === 'veil:share:place:queued')
    const pushes = events.filter(e => e.type === 'veil:share:place:push')
    const done = events.filter(e => e.type === 'veil:share:place:done')
    expect(queued.length).toBe(result.units)
    expect(queued.length).toBe(4)
    expect(done.map(e => String(e.detail.unit)).sort()).toEqual(queued.map(e => String(e.detail.unit)).sort())
    for (const e of done) expect(e.detail).toMatchObject({ copies: 2, wanted: 2, failures: 0 })
    for (const e of queued) {
      expect(e.detail.copies).toBe(2)
      const unit = String(e.detail.unit)
      const pushed = pushes.filter(p => String(p.detail.unit) === unit).reduce((sum, p) => sum + Number(p.detail.bytes), 0)
      expect(pushed, unit).toBe(Number(e.detail.bytes) * 2)
    }
    // One copy is every sealed byte: the files (with padding and tags) and the nodes, under 13 % over the plaintext.
    const total = queued.reduce((sum, e) => sum + Number(e.detail.bytes), 0)
    const plain = 2 * MiB + 3 + 700 * 1024
    expect(total).toBeGreaterThan(plain)
    expect(total).toBeLessThan(plain * 1.13)
    // A unit is queued only once it is sealed: the last sealing event comes before the last unit is queued.
    const lastBlock = events.map(e => e.type).lastIndexOf('veil:import:block')
    expect(events.findIndex(e => e.type === 'veil:share:place:queued')).toBeLessThan(lastBlock)
  }, 90_000)
})
