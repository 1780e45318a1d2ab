/**
 * Fault: pushes that fail part-way. Whatever a refused or interrupted push
 * stored, and no held unit lists, is deleted at once — it must not count
 * against the storage node's quota for an hour.
 */
import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { startNode, addressOf } from '../helpers/swarm.js'
import { startStorageNodes } from '../helpers/storage.js'
import { tempDir, writeRandomFile } from '../helpers/files.js'
import type { StorageService } from '../../src/replication/index.js'

const MiB = 1024 * 1024

function orphansDeleted (storage: StorageService): Promise<{ blocks: number, bytes: number }> {
  return new Promise(resolve => {
    storage.addEventListener('orphans', (event) => { resolve((event as CustomEvent<{ blocks: number, bytes: number }>).detail) }, { once: true })
  })
}

describe('fault: orphans of failed pushes', () => {
  it('a push refused at its second PUT (quota) leaves nothing behind', async () => {
    const dir = await tempDir()
    const bootstrap = await startNode()
    const [node] = await startStorageNodes(1, dir, bootstrap, { capacity: 10 * MiB, perPeer: 10 * MiB })
    const light = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
    const path = join(dir, 'twelve.bin')
    await writeRandomFile(path, 12 * MiB)
    const deleted = orphansDeleted(node!.storage!)
    const result = await light.share(path, { replicas: 1, keepLocal: false })
    expect(result.replicas).toBe(0)
    expect(result.placementFailures.join(' ')).toMatch(/Quota/)
    // The first PUT (7 blocks: a PUT carries at most 8 MiB) was stored; once the second was refused, it went.
    expect((await deleted).bytes).toBeGreaterThanOrEqual(7 * MiB)
    expect(await node!.store.size()).toEqual({ blocks: 0, bytes: 0 })
    expect(result.removedLocal).toBe(false)
  }, 60_000)

  it('a push cut off mid-unit (the sharer aborts) leaves nothing behind, and the next share fits', async () => {
    const dir = await tempDir()
    const bootstrap = await startNode()
    const [node] = await startStorageNodes(1, dir, bootstrap, { capacity: 20 * MiB, perPeer: 20 * MiB })
    const light = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
    const path = join(dir, 'sixteen.bin')
    await writeRandomFile(path, 16 * MiB)
    const deleted = orphansDeleted(node!.storage!)
    const controller = new AbortController()
    // Abort once the node has stored the first PUT's blocks.
    const firstPut = (async () => {
      while ((await node!.store.size()).bytes === 0 && !controller.signal.aborted) await new Promise(resolve => setImmediate(resolve))
      controller.abort(new Error('the sharer gave up'))
    })()
    await expect(light.share(path, { replicas: 1, keepLocal: false, signal: controller.signal })).rejects.toBeDefined()
    await firstPut
    expect((await deleted).blocks).toBeGreaterThan(0)
    expect(await node!.store.size()).toEqual({ blocks: 0, bytes: 0 })

    const again = join(dir, 'again.bin')
    await writeRandomFile(again, 16 * MiB)
    expect((await light.share(again, { replicas: 1, keepLocal: false })).replicas).toBe(1)
  }, 60_000)
})
