import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { mkdir } from 'node:fs/promises'
import { startNode, addressOf } from '../helpers/swarm.js'
import { startStorageNodes, unitsOf, provenHolders } from '../helpers/storage.js'
import { tempDir, writeRandomFile, sha256File } from '../helpers/files.js'
import type { VeilNode } from '../../src/node/index.js'

const KiB = 1024
const MiB = 1024 * KiB

interface Shared { name: string, link: string, digest: string, root: import('multiformats/cid').CID }

/** Fetch every share with a brand-new client and compare digests; returns how many matched. */
async function fetchAll (bootstrap: VeilNode, shares: Shared[], dir: string): Promise<number> {
  const client = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`)
  await mkdir(out)
  let ok = 0
  for (const share of shares) {
    await client.get(share.link, { output: join(out, share.name) })
    if (await sha256File(join(out, share.name)) === share.digest) ok++
  }
  await client.stop()
  return ok
}

describe('storage nodes', () => {
  it('8 storage nodes, R=3: a light client shares 20 files and leaves; all fetchable, through two failures, repair back to 3 copies, and two more failures', async () => {
    const dir = await tempDir()
    const bootstrap = await startNode()
    const storage = await startStorageNodes(8, dir, bootstrap)
    const light = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })

    const sizes = [0, 1, 100, 4 * KiB, 64 * KiB - 1, 64 * KiB, 300 * KiB, MiB - 1, MiB, MiB + 1, 2 * MiB, 3 * MiB + 7, 4 * MiB, 5 * MiB, 7 * MiB, 8 * MiB, 10 * MiB, 12 * MiB, 16 * MiB, 20 * MiB]
    const shares: Shared[] = []
    for (const [i, size] of sizes.entries()) {
      const name = `file-${i}.bin`
      const digest = await writeRandomFile(join(dir, name), size)
      const result = await light.share(join(dir, name), { replicas: 3, keepLocal: false })
      expect(result.replicas, `${name}: ${result.placementFailures.join("; ")}`).toBe(3)
      expect(result.removedLocal).toBe(true)
      shares.push({ name, link: result.link, digest, root: result.cid })
    }
    expect((await light.store.size()).blocks).toBe(0)
    await light.stop()

    expect(await fetchAll(bootstrap, shares, dir)).toBe(20)

    // Two storage nodes fail at once.
    const [first, second, ...rest] = storage
    await Promise.all([first!.stop(), second!.stop()])
    expect(await fetchAll(bootstrap, shares, dir)).toBe(20)

    // Repair brings every unit back to 3 live, proven copies.
    const checker = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
    const units = (await Promise.all(shares.map(async share => await unitsOf(checker, share.root)))).flat()
    for (let round = 0; round < 5; round++) {
      await Promise.all(rest.map(async node => await node.storage!.repair()))
      const counts = await Promise.all(units.map(async unit => (await provenHolders(checker, unit)).length))
      if (counts.every(count => count >= 3)) break
    }
    const counts = await Promise.all(units.map(async unit => (await provenHolders(checker, unit)).length))
    expect(counts.filter(count => count < 3)).toEqual([])
    await checker.stop()

    // Two more fail: everything is still there.
    await Promise.all([rest[0]!.stop(), rest[1]!.stop()])
    expect(await fetchAll(bootstrap, shares, dir)).toBe(20)
  }, 300_000)
})
