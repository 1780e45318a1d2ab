import { describe, it, expect } from 'vitest'
import type { CID } from 'multiformats/cid'
import { RefuseCode, type Push } from '../../../src/protocol/index.js'
import { KiB, peer, put, rootOver, segment, share, storageNode } from './helpers.js'

describe('storage accounting per pusher', () => {
  it('refuses a pusher past its share of the node while others still push; charges come back when its units go', async () => {
    const { storage } = await storageNode({ capacity: 100 * KiB, perPeer: 25 * KiB, leaseMs: 60_000, highWatermark: 0.75 })
    const greedy = await peer()
    const other = await peer()
    const first = share(2, 10 * KiB)
    expect((await put(storage, greedy, first.unit, first.all, { leaseUntil: Date.now() + 200 })).results).toEqual([true, true, true])
    const second = share(2, 10 * KiB)
    expect(await put(storage, greedy, second.unit, second.all)).toMatchObject({ ok: false, code: RefuseCode.PeerQuota })
    expect((await put(storage, other, second.unit, second.all)).results).toEqual([true, true, true])

    const status = await storage.status()
    expect(status.perPeer).toBe(25 * KiB)
    expect(status.topPeers.map(p => p.peer).sort()).toEqual([greedy.toString(), other.toString()].sort())
    expect(status.topPeers.find(p => p.peer === greedy.toString())!.bytes).toBeGreaterThan(20 * KiB)

    // Its first share expires and is released under pressure: the charge comes back, and it may push again.
    const leaseEnd = Date.now() + 200
    while (Date.now() <= leaseEnd) await new Promise(resolve => setTimeout(resolve, 50))
    await storage.collector.collect(Date.now())  // not under pressure: expired is kept
    expect(storage.usage.of(greedy)).toBeGreaterThan(20 * KiB)
    for (let i = 0; i < 2; i++) {
      const filler = share(2, 10 * KiB)
      expect((await put(storage, await peer(), filler.unit, filler.all)).results).toEqual([true, true, true])
    }
    // ~80% used, past the 75% watermark: the expired share goes.
    await storage.collect()
    expect(storage.usage.of(greedy)).toBe(0)
    const third = share(2, 10 * KiB)
    expect((await put(storage, greedy, third.unit, third.all)).results).toEqual([true, true, true])
  })

  it('takes pushes only from the listed peers when told so, and refuses "swarm" outside a private swarm', async () => {
    const friend = await peer()
    const stranger = await peer()
    const { storage } = await storageNode({ acceptFrom: [friend.toString()] })
    const unit = share(1, KiB)
    expect(await put(storage, stranger, unit.unit, unit.all)).toMatchObject({ ok: false, code: RefuseCode.NotAccepting })
    expect((await put(storage, friend, unit.unit, unit.all)).results).toEqual([true, true])
    await expect(storageNode({ acceptFrom: 'swarm' })).rejects.toThrow(/needs a private swarm/)
    const { storage: member } = await storageNode({ acceptFrom: 'swarm' }, undefined, undefined, { inSwarm: true })
    const other = share(1, KiB)
    expect((await put(member, stranger, other.unit, other.all)).results).toEqual([true, true])
  })
})

describe('segments no share lists', () => {
  /** A storage node whose path checks read nodes from `nodes` (as if fetched from the pusher or the swarm). */
  async function node (provisionalLeaseMs: number, nodes: Push[]): Promise<Awaited<ReturnType<typeof storageNode>>> {
    const byCid = new Map(nodes.map(n => [n.cid.toString(), n.bytes]))
    return await storageNode({ leaseMs: 3_600_000, provisionalLeaseMs }, undefined, undefined, {
      readNode: async (cid: CID) => {
        const bytes = byCid.get(cid.toString())
        if (bytes === undefined) throw new Error('not found')
        return bytes
      }
    })
  }

  it('keep a short lease, and go once it ends whether or not the node needs room', async () => {
    const junk = segment(2, KiB)
    const { storage, store } = await node(100, [])
    const reply = await put(storage, await peer(), junk.unit, junk.all)
    expect(reply.results).toEqual([true, true, true])
    const record = (await storage.index.get(junk.unit))!
    expect(record.provisional).toBe(true)
    expect(record.leaseUntil).toBeLessThanOrEqual(Date.now() + 100)
    expect((await storage.collect(Date.now() + 200)).units).toBe(1)
    for (const b of junk.all) expect(await store.has(b.cid)).toBe(false)
  })

  it('get their full lease when pushed with a path from a root that lists them, and not with a false one', async () => {
    const segments = [segment(2, KiB), segment(2, KiB)]
    const root = rootOver(segments)
    const stray = segment(1, KiB)
    const { storage } = await node(100, [root])
    const from = await peer()
    const pushed = await put(storage, from, segments[0]!.unit, segments[0]!.all, { path: [root.cid] })
    expect(pushed.results).toEqual([true, true, true])
    expect((await storage.index.get(segments[0]!.unit))).toMatchObject({ provisional: false, path: [root.cid] })
    expect((await storage.index.get(segments[0]!.unit))!.leaseUntil).toBeGreaterThan(Date.now() + 3_000_000)
    // A root that does not list it proves nothing.
    await put(storage, from, stray.unit, stray.all, { path: [root.cid] })
    expect((await storage.index.get(stray.unit))!.provisional).toBe(true)

    // Pushed first with no path (as a sharer does before its root exists), then confirmed with one.
    await put(storage, from, segments[1]!.unit, segments[1]!.all)
    expect((await storage.index.get(segments[1]!.unit))!.provisional).toBe(true)
    const confirmed = await put(storage, from, segments[1]!.unit, [segments[1]!.node], { path: [root.cid] })
    if (!confirmed.ok) throw new Error('refused')
    expect(confirmed.keptUntil).toBeGreaterThan(Date.now() + 3_000_000)
    expect((await storage.index.get(segments[1]!.unit))!.provisional).toBe(false)
    expect((await storage.collect(Date.now() + 1_000)).units).toBe(1) // only the stray one
  })
})
