import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { mkdir } from 'node:fs/promises'
import type { CID } from 'multiformats/cid'
import { startNode, addressOf } from '../helpers/swarm.js'
import { startStorageNodes, unitsOf, provenHolders } from '../helpers/storage.js'
import { tempDir, writeRandomFile, sha256File } from '../helpers/files.js'
import type { VeilNode } from '../../src/node/index.js'

const KiB = 1024
const MiB = 1024 * KiB

interface Shared { name: string, link: string, digest: string, root: CID }

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

describe('storage quotas, scrub and collection', () => {
  it('a tiny storage node refuses pushes over its quota; shares still reach 3 copies elsewhere; its data is unharmed', async () => {
    const dir = await tempDir()
    const bootstrap = await startNode()
    await startStorageNodes(3, dir, bootstrap)
    const [tiny] = await startStorageNodes(1, dir, bootstrap, { capacity: 200 * KiB, perPeer: 200 * KiB })
    const keeper = await startNode({ bootstrap: [addressOf(bootstrap)] })
    const light = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })

    // Something the tiny node already holds and must not lose.
    const smallDigest = await writeRandomFile(join(dir, 'small.bin'), 10 * KiB)
    const small = await keeper.share(join(dir, 'small.bin'), { replicas: 0 })
    await tiny!.pin({ cid: small.cid })
    await keeper.stop()

    let refusedByTiny = false
    for (let i = 0; i < 12 && !refusedByTiny; i++) {
      await writeRandomFile(join(dir, `big-${i}.bin`), MiB)
      const result = await light.share(join(dir, `big-${i}.bin`), { replicas: 3, keepLocal: false })
      expect(result.replicas).toBe(3)
      refusedByTiny = result.placementFailures.some(f => f.startsWith(tiny!.peerId.toString()) && /Quota/.test(f))
    }
    expect(refusedByTiny).toBe(true)
    expect((await tiny!.store.size()).bytes).toBeLessThanOrEqual(200 * KiB)
    expect((await tiny!.storage!.scrub()).corrupt).toBe(0)
    const out = join(dir, 'small-out.bin')
    await tiny!.get(small.link, { output: out })
    expect(await sha256File(out)).toBe(smallDigest)
  }, 120_000)

  it('collection: an expired unpinned share goes under space pressure, a pinned one stays, even when the node is full', async () => {
    const dir = await tempDir()
    const bootstrap = await startNode()
    const [node] = await startStorageNodes(1, dir, bootstrap, { capacity: 4 * MiB, perPeer: 4 * MiB, leaseMs: 1, highWatermark: 0.5, orphanGraceMs: 0 })
    const keeper = await startNode({ bootstrap: [addressOf(bootstrap)] })
    const light = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })

    const pinnedDigest = await writeRandomFile(join(dir, 'pinned.bin'), MiB)
    const pinned = await keeper.share(join(dir, 'pinned.bin'), { replicas: 0 })
    await node!.pin({ cid: pinned.cid })
    await writeRandomFile(join(dir, 'leased.bin'), 700 * KiB)
    const leased = await light.share(join(dir, 'leased.bin'), { replicas: 1, keepLocal: false })
    expect(leased.replicas).toBe(1)
    expect(await node!.store.has(leased.cid)).toBe(true)

    // Its 1 ms lease is over; the next push takes usage past the watermark and collection runs.
    const collected = new Promise<void>(resolve => { node!.storage!.addEventListener('gc', () => { resolve() }, { once: true }) })
    await writeRandomFile(join(dir, 'trigger.bin'), 900 * KiB)
    await light.share(join(dir, 'trigger.bin'), { replicas: 1, keepLocal: false })
    await collected
    expect(await node!.store.has(leased.cid)).toBe(false)
    expect(await node!.store.has(pinned.cid)).toBe(true)

    // Fill the node with pinned shares: collection never touches them, pushes are refused.
    for (let i = 0; (await node!.store.size()).bytes < 4 * MiB; i++) {
      await writeRandomFile(join(dir, `pin-${i}.bin`), MiB)
      const extra = await keeper.share(join(dir, `pin-${i}.bin`), { replicas: 0 })
      await node!.pin({ cid: extra.cid })
    }
    await node!.storage!.collect(Date.now() + 365 * 24 * 3_600_000)
    expect(await node!.store.has(pinned.cid)).toBe(true)
    await writeRandomFile(join(dir, 'refused.bin'), 300 * KiB)
    const refused = await light.share(join(dir, 'refused.bin'), { replicas: 1, keepLocal: false })
    expect(refused.replicas).toBe(0)
    expect(refused.placementFailures.join(' ')).toMatch(/Quota/)
    await keeper.stop()
    const out = join(dir, 'pinned-out.bin')
    await light.get(pinned.link, { output: out })
    expect(await sha256File(out)).toBe(pinnedDigest)
  }, 120_000)
})
