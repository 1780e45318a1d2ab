/**
 * Fault: shares outliving their lease. A share is kept at least until the
 * lease `share` reported; after that, storage nodes keep it while they have
 * room and release expired shares (the longest expired first) only under
 * pressure. Anyone with the link renews it; the sharer's running node renews
 * its own shares by itself.
 */
import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { startNode, addressOf } from '../helpers/swarm.js'
import { startStorageNodes } from '../helpers/storage.js'
import { tempDir, writeRandomFile, sha256File } from '../helpers/files.js'
import { formatVerifyLink } from '../../src/link/index.js'
import type { VeilNode } from '../../src/node/index.js'
import type { CID } from 'multiformats/cid'

const KiB = 1024
const MiB = 1024 * KiB

/** Resolves once the clock has passed `time` (a lease end), checking as the event loop turns. */
async function after (time: number): Promise<void> {
  while (Date.now() <= time) await new Promise(resolve => setTimeout(resolve, Math.max(1, time - Date.now() + 1)))
}

/** The lease end each storage node records for a unit (undefined where it is not held). */
async function leases (nodes: VeilNode[], unit: CID): Promise<Array<number | undefined>> {
  return await Promise.all(nodes.map(async node => (await node.storage!.index.get(unit))?.leaseUntil))
}

describe('fault: lease expiry and renewal', () => {
  it('keeps an expired share while there is room, renews it from a verify-only link, and under pressure releases only expired shares, the longest expired first', async () => {
    const dir = await tempDir()
    const bootstrap = await startNode()
    const leaseMs = 4_000
    const storage = await startStorageNodes(3, dir, bootstrap, { capacity: 8 * MiB, perPeer: 8 * MiB, leaseMs, highWatermark: 0.75, lowWatermark: 0.5 })
    const light = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })

    const shares: Array<{ cid: CID, link: string, digest: string, keptUntil: number }> = []
    for (let i = 0; i < 3; i++) {
      const path = join(dir, `f${i}.bin`)
      const digest = await writeRandomFile(path, MiB + i)
      const result = await light.share(path, { replicas: 3, keepLocal: false })
      expect(result.replicas).toBe(3)
      expect(result.keptUntil).toBeGreaterThan(Date.now())
      expect(result.keptUntil).toBeLessThanOrEqual(Date.now() + leaseMs)
      shares.push({ cid: result.cid, link: result.link, digest, keptUntil: result.keptUntil! })
    }

    // Every lease has ended (each node granted its own, from its own clock: wait for the latest);
    // no pressure (about 40% used): collection keeps them all.
    const granted = (await Promise.all(shares.map(async share => await leases(storage, share.cid)))).flat()
    await after(Math.max(...granted.map(lease => lease ?? 0)))
    for (const node of storage) expect((await node.storage!.collect()).units).toBe(0)
    for (const share of shares) for (const node of storage) expect(await node.store.has(share.cid)).toBe(true)
    expect((await storage[0]!.storage!.status()).expiredUnits).toBe(3)

    // Someone with only the verify-only link renews the second share on all three holders.
    const renewer = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
    const renewedAt = Date.now()
    const [renewal] = await renewer.renew(formatVerifyLink({ cid: shares[1]!.cid }))
    expect(renewal).toMatchObject({ units: 1, copies: 3 })
    expect(renewal!.keptUntil).toBeGreaterThanOrEqual(renewedAt + leaseMs)
    for (const lease of await leases(storage, shares[1]!.cid)) expect(lease).toBeGreaterThanOrEqual(renewedAt + leaseMs)

    // Pressure: a fourth and fifth share push every node past 75%; collection
    // releases expired shares down to 50%, the first one first, and never the
    // renewed one (its lease runs) nor the new ones.
    for (let i = 3; i < 5; i++) {
      const path = join(dir, `f${i}.bin`)
      await writeRandomFile(path, 2 * MiB)
      expect((await light.share(path, { replicas: 3, keepLocal: false })).replicas).toBe(3)
    }
    for (const node of storage) {
      await node.storage!.collect()
      expect(await node.store.has(shares[0]!.cid)).toBe(false)
      expect(await node.store.has(shares[1]!.cid)).toBe(true)
      expect((await node.store.size()).bytes).toBeLessThanOrEqual(6 * MiB)
    }

    // The renewed share fetches byte-identical from a brand-new client.
    const fetcher = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
    await fetcher.get(shares[1]!.link, { output: join(dir, 'out.bin') })
    expect(await sha256File(join(dir, 'out.bin'))).toBe(shares[1]!.digest)
  }, 120_000)

  it('a share is never collected before its lease ends, however full the node: new pushes are refused instead', async () => {
    const dir = await tempDir()
    const bootstrap = await startNode()
    const [node] = await startStorageNodes(1, dir, bootstrap, { capacity: 3 * MiB, perPeer: 3 * MiB, leaseMs: 3_600_000, highWatermark: 0.5, lowWatermark: 0.1 })
    const light = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
    const kept: CID[] = []
    for (let i = 0; i < 2; i++) {
      const path = join(dir, `f${i}.bin`)
      await writeRandomFile(path, MiB)
      const result = await light.share(path, { replicas: 1, keepLocal: false })
      expect(result.replicas).toBe(1)
      kept.push(result.cid)
    }
    await node!.storage!.collect(Date.now() + 3_000_000)
    for (const cid of kept) expect(await node!.store.has(cid)).toBe(true)
    const path = join(dir, 'big.bin')
    await writeRandomFile(path, 2 * MiB)
    const refused = await light.share(path, { replicas: 1, keepLocal: false })
    expect(refused.replicas).toBe(0)
    expect(refused.placementFailures.join(' ')).toMatch(/Quota/)
    expect(refused.removedLocal).toBe(false)
    for (const cid of kept) expect(await node!.store.has(cid)).toBe(true)
  }, 60_000)

  it('the sharer\'s running node renews its own shares before their leases end', async () => {
    const dir = await tempDir()
    const bootstrap = await startNode()
    const leaseMs = 6_000
    const storage = await startStorageNodes(2, dir, bootstrap, { leaseMs })
    const sharer = await startNode({ repo: join(dir, 'sharer'), bootstrap: [addressOf(bootstrap)], keepShares: { replicas: 2, renewEveryMs: 60_000 } })
    const path = join(dir, 'mine.bin')
    await writeRandomFile(path, 300 * KiB)
    const result = await sharer.share(path, { replicas: 2 })
    expect(result.replicas).toBe(2)
    // Due halfway through the lease granted (3 s), well before the 60 s period.
    const renewed = new Promise<void>(resolve => { sharer.keeper.addEventListener('renewed', () => { resolve() }, { once: true }) })
    await renewed
    for (const lease of await leases(storage, result.cid)) expect(lease).toBeGreaterThan(result.keptUntil!)
  }, 60_000)
})
