import { describe, it, expect } from 'vitest'
import { RefuseCode } from '../../../src/protocol/index.js'
import { KiB, peer, put, share, storageNode } from './helpers.js'

/*
 * A share made with `--expires`: its PUTs carry a hard expiry, and a storage
 * node deletes it then, whatever room it has, unless its operator pinned it;
 * no lease or renewal reaches past it.
 */
describe('hard expiry on a storage node', () => {
  it('caps the lease granted at the expiry, and renewals never extend past it', async () => {
    const { storage } = await storageNode({ leaseMs: 3_600_000 })
    const from = await peer()
    const unit = share(2, KiB)
    const expires = Date.now() + 60_000
    const first = await put(storage, from, unit.unit, unit.all, { expires })
    if (!first.ok) throw new Error('refused')
    expect(first.keptUntil).toBe(expires)
    expect(await storage.index.get(unit.unit)).toMatchObject({ expires, leaseUntil: expires })
    // A renewal that asks for more (with the flag or without it) gets no more.
    for (const options of [{ leaseUntil: Date.now() + 3_000_000 }, { leaseUntil: Date.now() + 3_000_000, expires: expires + 1_000_000 }]) {
      const renewed = await put(storage, from, unit.unit, [unit.node], options)
      if (!renewed.ok) throw new Error('refused')
      expect(renewed.keptUntil).toBe(expires)
      expect((await storage.index.get(unit.unit))?.leaseUntil).toBe(expires)
    }
  })

  it('refuses a PUT whose expiry has passed', async () => {
    const { storage } = await storageNode()
    const unit = share(1, KiB)
    expect(await put(storage, await peer(), unit.unit, unit.all, { expires: Date.now() - 1 })).toMatchObject({ ok: false, code: RefuseCode.Invalid })
  })

  it('deletes the share at its expiry (its own timer, plenty of room left), keeps a share without one, and a pinned one', async () => {
    const { storage, store } = await storageNode({ capacity: 10 * 1024 * KiB, gcIntervalMs: 3_600_000 })
    await storage.start()
    const from = await peer()
    const expiring = share(3, KiB)
    const lasting = share(2, KiB)
    const pinned = share(2, KiB)
    // Room for the three PUTs and the pin before the expiry on a loaded machine (each PUT syncs).
    const expires = Date.now() + 1_500
    for (const s of [expiring, pinned]) expect((await put(storage, from, s.unit, s.all, { expires })).ok).toBe(true)
    expect((await put(storage, from, lasting.unit, lasting.all)).ok).toBe(true)
    // The operator pins one: its pin keeps it (docs/storage.md).
    const record = await storage.index.get(pinned.unit)
    await store.putMany([], { extraOps: [storage.index.putRecord(pinned.unit, { ...record!, pins: 1 })] })
    const expired = new Promise<{ expired: number, units: number }>(resolve => { storage.addEventListener('expired', (event) => { resolve((event as CustomEvent).detail) }, { once: true }) })
    const detail = await expired
    expect(Date.now()).toBeGreaterThanOrEqual(expires)
    expect(detail.expired).toBe(1)
    expect(await storage.index.get(expiring.unit)).toBeUndefined()
    for (const block of expiring.all) expect(await store.has(block.cid)).toBe(false)
    for (const block of [...lasting.all, ...pinned.all]) expect(await store.has(block.cid)).toBe(true)
  })

  it('finds expiries it holds when it starts again (after a restart)', async () => {
    const { storage, store } = await storageNode({ gcIntervalMs: 3_600_000 })
    const unit = share(1, KiB)
    expect((await put(storage, await peer(), unit.unit, unit.all, { expires: Date.now() + 1_000 })).ok).toBe(true)
    // Stopped (its timer cleared) and started again: the expiry is found in the index.
    await storage.stop()
    const gone = new Promise<void>(resolve => { storage.addEventListener('expired', () => { resolve() }, { once: true }) })
    await storage.start()
    await gone
    expect(await store.has(unit.unit)).toBe(false)
  })
})
