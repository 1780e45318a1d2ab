/**
 * Status tells the truth: with every share at R proven copies, a repair
 * pass on every storage node reports no backlog (holders the DHT look-up
 * misses are still asked directly); after a holder dies the closest live
 * holder restores R, and the next pass reports no backlog again.
 */
import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { startNode, addressOf } from '../helpers/swarm.js'
import { startStorageNodes, provenHolders } from '../helpers/storage.js'
import { tempDir, writeRandomFile } from '../helpers/files.js'

const KiB = 1024

describe('status: the repair backlog', () => {
  it('is 0 on every node while every unit has R copies, and again once repair has restored a lost copy', async () => {
    const dir = await tempDir()
    const bootstrap = await startNode()
    const storage = await startStorageNodes(5, dir, bootstrap)
    const light = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
    const roots = []
    for (let i = 0; i < 4; i++) {
      await writeRandomFile(join(dir, `f${i}.bin`), 200 * KiB + i)
      const result = await light.share(join(dir, `f${i}.bin`), { replicas: 3, keepLocal: false })
      expect(result.replicas).toBe(3)
      roots.push(result.cid)
    }
    for (const node of storage) {
      const before = (await node.status()).storage!
      expect(before.lastRepair).toBeNull()
      const pass = await node.storage!.repair()
      const after = (await node.status()).storage!
      expect(pass.underReplicated, `${node.peerId.toString()} found units under-replicated`).toBe(0)
      expect(after.repairBacklog).toBe(0)
      expect(after.lastRepair).toMatchObject({ units: after.units, underReplicated: 0, at: expect.any(Number) })
    }

    // The node holding the most units dies; repair passes bring every unit back to 3.
    const counts = await Promise.all(storage.map(async node => (await node.status()).storage!.units))
    const victim = storage[counts.indexOf(Math.max(...counts))]!
    await victim.stop()
    const alive = storage.filter(node => node !== victim)
    await Promise.all(alive.map(async node => await node.storage!.repair()))
    const checker = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
    for (const root of roots) expect((await provenHolders(checker, root)).length).toBeGreaterThanOrEqual(3)
    for (const node of alive) {
      await node.storage!.repair()
      expect((await node.status()).storage!.repairBacklog).toBe(0)
    }
  }, 120_000)
})
