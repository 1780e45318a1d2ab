import { describe, it, expect } from 'vitest'
import type { StorageService } from '../../../src/replication/index.js'
import { RefuseCode } from '../../../src/protocol/index.js'
import { KiB, peer, put, share, storageNode } from './helpers.js'

/** Wait until the background deletion of a failed push has run (it goes through the same serial queue). */
async function settled (storage: StorageService): Promise<void> {
  await storage.acceptor.deleteOrphans([])
}

describe('storage acceptor: admission, leases and orphans', () => {
  it('refuses a PUT from its header when it would not fit, before any block is stored', async () => {
    const { storage, store } = await storageNode({ capacity: 50 * KiB })
    const big = share(6, 10 * KiB)
    const reply = await put(storage, await peer(), big.unit, big.all)
    expect(reply).toMatchObject({ ok: false, code: RefuseCode.Quota })
    expect((await store.size()).blocks).toBe(0)
  })

  it('reserves room for admitted PUTs, so two concurrent PUTs cannot overshoot the quota', async () => {
    const { storage } = await storageNode({ capacity: 50 * KiB })
    const a = share(3, 10 * KiB)
    const b = share(3, 10 * KiB)
    const from = await peer()
    const first = await storage.acceptor.admit(from, { unit: a.unit, count: 4, bytes: 30 * KiB + a.node.bytes.length, leaseUntil: 0 }, { signal: AbortSignal.timeout(5_000) })
    const second = await storage.acceptor.admit(from, { unit: b.unit, count: 4, bytes: 30 * KiB + b.node.bytes.length, leaseUntil: 0 }, { signal: AbortSignal.timeout(5_000) })
    expect(first.ok).toBe(true)
    expect(second).toMatchObject({ ok: false, code: RefuseCode.Quota })
    if (first.ok) first.put.end(false)
  })

  it('stores nothing when the PUT\'s deadline passed before its turn to store came', async () => {
    const { storage, store } = await storageNode()
    const from = await peer()
    const unit = share(2, KiB)
    const admission = await storage.acceptor.admit(from, { unit: unit.unit, count: 3, bytes: 2 * KiB + unit.node.bytes.length, leaseUntil: 0 }, { signal: AbortSignal.timeout(5_000) })
    if (!admission.ok) throw new Error('refused')
    const gone = new AbortController()
    gone.abort(new Error('deadline'))
    await expect(admission.put.store(unit.all, { signal: gone.signal })).rejects.toThrow('deadline')
    admission.put.end(false)
    expect((await store.size()).blocks).toBe(0)
    expect(await storage.index.get(unit.unit)).toBeUndefined()
  })

  it('never stores a unit node without every block it lists: holding the node must mean holding the unit', async () => {
    const { storage, store } = await storageNode()
    const from = await peer()
    const unit = share(3, KiB)
    // A block that fails its check in the same PUT: the node after it is refused too.
    const corrupt = { cid: unit.blocks[1]!.cid, bytes: new Uint8Array(KiB) }
    const first = await put(storage, from, unit.unit, [unit.blocks[0]!, corrupt, unit.blocks[2]!, unit.node])
    expect(first.results).toEqual([true, false, true, false])
    expect(await store.has(unit.unit)).toBe(false)
    expect(await storage.index.get(unit.unit)).toBeUndefined()
    // Two blocks in one PUT, then the node alone with one block still missing: refused.
    expect((await put(storage, from, unit.unit, [unit.blocks[0]!, unit.blocks[2]!])).results).toEqual([true, true])
    expect((await put(storage, from, unit.unit, [unit.node])).results).toEqual([false])
    expect(await store.has(unit.unit)).toBe(false)
    // (A failed PUT drops what the push stored.) With every block, the node completes the unit.
    expect((await put(storage, from, unit.unit, unit.all)).results).toEqual([true, true, true, true])
    expect(await storage.index.get(unit.unit)).toBeDefined()
  })

  it('grants the lease asked for, never past its own, and the full lease when none is asked', async () => {
    const leaseMs = 60_000
    const { storage } = await storageNode({ leaseMs })
    const from = await peer()
    const before = Date.now()
    const unit = share(1, KiB)
    const asked = await put(storage, from, unit.unit, unit.all, { leaseUntil: before + 10_000 })
    if (!asked.ok) throw new Error('refused')
    expect(asked.keptUntil).toBe(before + 10_000)
    const other = share(1, KiB)
    const tooLong = await put(storage, from, other.unit, other.all, { leaseUntil: before + 10 * leaseMs })
    if (!tooLong.ok) throw new Error('refused')
    expect(tooLong.keptUntil).toBeLessThanOrEqual(Date.now() + leaseMs)
    expect(tooLong.keptUntil).toBeGreaterThanOrEqual(before + leaseMs)
    // A renewal of a held unit keeps the later of the two leases.
    const renewal = await put(storage, from, unit.unit, [unit.node])
    if (!renewal.ok) throw new Error('refused')
    expect(renewal.keptUntil).toBeGreaterThanOrEqual(before + leaseMs)
    expect((await storage.index.get(unit.unit))!.leaseUntil).toBe(renewal.keptUntil)
  })

  it('deletes at once the blocks a failed push stored, but not blocks a held unit lists or that were there before', async () => {
    const { storage, store } = await storageNode()
    const from = await peer()
    const kept = share(2, 4 * KiB)
    expect((await put(storage, from, kept.unit, kept.all)).results).toEqual([true, true, true])
    // A second unit shares one block with the first; its push is cut after the first PUT.
    const shared = kept.blocks[0]!
    const cut = share(3, 4 * KiB)
    const first = await put(storage, from, cut.unit, [shared, ...cut.blocks.slice(0, 2)], { complete: false })
    expect(first.results).toEqual([true, true, true])
    await settled(storage)
    for (const b of cut.blocks.slice(0, 2)) expect(await store.has(b.cid)).toBe(false)
    expect(await store.has(shared.cid)).toBe(true)
    for (const b of kept.all) expect(await store.has(b.cid)).toBe(true)
  })

  it('keeps the blocks of a push in progress across PUTs, and collects them once it has been idle past the grace period', async () => {
    const { storage, store } = await storageNode({ orphanGraceMs: 60_000 })
    const from = await peer()
    const unit = share(4, 4 * KiB)
    await put(storage, from, unit.unit, unit.blocks.slice(0, 2))
    expect((await storage.collect(Date.now() + 30_000)).blocks).toBe(0)
    await put(storage, from, unit.unit, [...unit.blocks.slice(2), unit.node])
    // Complete: nothing of it is an orphan, however late.
    expect((await storage.collect(Date.now() + 3_600_000)).blocks).toBe(0)
    for (const b of unit.all) expect(await store.has(b.cid)).toBe(true)

    const idle = share(2, 4 * KiB)
    await put(storage, from, idle.unit, idle.blocks)
    expect((await storage.collect(Date.now() + 30_000)).blocks).toBe(0)
    expect((await storage.collect(Date.now() + 61_000)).blocks).toBe(2)
    for (const b of idle.blocks) expect(await store.has(b.cid)).toBe(false)
  })

  it('keeps expired units while there is room; under pressure releases them, the longest expired first', async () => {
    const { storage, store, forgotten } = await storageNode({ capacity: 100 * KiB, leaseMs: 60_000, highWatermark: 0.65, lowWatermark: 0.45 })
    const from = await peer()
    const now = Date.now()
    const units = [share(2, 10 * KiB), share(2, 10 * KiB), share(2, 10 * KiB)]
    // Leases end at now+1 s, now+3 s and now+2 s.
    for (const [i, unit] of units.entries()) await put(storage, from, unit.unit, unit.all, { leaseUntil: now + [1_000, 3_000, 2_000][i]! })
    // All expired, ~60% used: not past the high watermark, so all are kept.
    expect((await storage.collect(now + 10_000)).units).toBe(0)
    const more = share(1, 10 * KiB)
    await put(storage, from, more.unit, more.all)
    // ~70% used: release the longest expired until at most 45%.
    const result = await storage.collect(now + 10_000)
    expect(result.units).toBe(2)
    expect(forgotten).toEqual([units[0]!.unit.toString(), units[2]!.unit.toString()])
    expect(await store.has(units[1]!.unit)).toBe(true)
    expect(await store.has(more.unit)).toBe(true)
    expect((await store.size()).bytes).toBeLessThanOrEqual(45 * KiB)
  })

  it('releases expired units to admit a new PUT that would not fit otherwise; a pinned or live unit is never released', async () => {
    const { storage, store } = await storageNode({ capacity: 50 * KiB, leaseMs: 3_600_000 })
    const from = await peer()
    const expired = share(2, 10 * KiB)
    const leaseEnd = Date.now() + 50
    await put(storage, from, expired.unit, expired.all, { leaseUntil: leaseEnd })
    const live = share(2, 10 * KiB)
    await put(storage, from, live.unit, live.all)
    while (Date.now() <= leaseEnd) await new Promise(resolve => setImmediate(resolve)) // the first lease is 50 ms long
    const incoming = share(2, 10 * KiB)
    const reply = await put(storage, from, incoming.unit, incoming.all)
    expect(reply.results).toEqual([true, true, true])
    expect(await store.has(expired.unit)).toBe(false)
    expect(await store.has(live.unit)).toBe(true)
    const refused = share(2, 10 * KiB)
    expect(await put(storage, from, refused.unit, refused.all)).toMatchObject({ ok: false, code: RefuseCode.Quota })
  })

  it('reports each pass in its status, and null for a pass that has not run', async () => {
    const { storage } = await storageNode()
    const before = await storage.status()
    expect(before).toMatchObject({ lastRepair: null, lastScrub: null, lastGc: null, repairBacklog: 0, expiredUnits: 0 })
    await storage.collect()
    expect((await storage.status()).lastGc).toMatchObject({ units: 0, blocks: 0, at: expect.any(Number) })
  })
})
