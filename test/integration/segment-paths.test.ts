import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { startNode, addressOf } from '../helpers/swarm.js'
import { startStorageNodes, unitsOf } from '../helpers/storage.js'
import { tempDir, writeRandomFile } from '../helpers/files.js'

const MiB = 1024 * 1024

describe('segments of a share are not taken for junk', () => {
  it('a light client shares a file of two segments; once its root is placed, every holder keeps the segments for the full lease', async () => {
    const dir = await tempDir()
    const bootstrap = await startNode()
    const leaseMs = 3_600_000
    const storage = await startStorageNodes(2, dir, bootstrap, { leaseMs, provisionalLeaseMs: 60_000 })
    const light = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
    const path = join(dir, 'two-segments.bin')
    await writeRandomFile(path, 64 * MiB + 1)
    const before = Date.now()
    // 64 KiB blocks: a segment lists 1024 of them (64 MiB), so this is a root over two segments.
    const result = await light.share(path, { replicas: 2, keepLocal: false, blockSize: 64 * 1024 })
    expect(result.replicas, result.placementFailures.join('; ')).toBe(2)
    expect(result.keptUntil).toBeGreaterThanOrEqual(before + leaseMs)
    const units = await unitsOf(storage[0]!, result.cid)
    expect(units).toHaveLength(3)
    for (const node of storage) {
      for (const unit of units) {
        const record = await node.storage!.index.get(unit)
        expect(record, `${node.peerId.toString()} holds ${unit.toString()}`).toBeDefined()
        expect(record!.provisional).toBe(false)
        expect(record!.leaseUntil).toBeGreaterThanOrEqual(before + leaseMs)
      }
    }
  }, 120_000)
})
