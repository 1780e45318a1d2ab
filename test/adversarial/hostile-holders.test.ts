import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { startNode, addressOf } from '../helpers/swarm.js'
import { tempDir, writeRandomFile, sha256File, exists } from '../helpers/files.js'
import { MiB, expectWithinBudget, startTarget } from './harness.js'
import { makeHostile, type Hostility } from './hostile-holders.js'

const READ_TIMEOUT_MS = 1_500

/*
 * The fetch side: the target fetches a share whose holders include peers
 * that lie (wrong bytes), truncate a block and stall or close, answer with an
 * endless or a giant length prefix, or trickle at 1 byte/s. It must finish
 * from the honest holder, or, when none is left, fail cleanly, in bounded
 * time and memory.
 */
describe('hostile holders', () => {
  it('a fetch finishes from the honest holder past a liar, two truncators, an endless and a giant prefix and a trickler', async () => {
    const bootstrap = await startNode()
    const honest = await startNode({ bootstrap: [addressOf(bootstrap)] })
    const dir = await tempDir()
    const input = join(dir, 'share.bin')
    const digest = await writeRandomFile(input, 8 * MiB)
    const shared = await honest.share(input, { replicas: 0 })
    const kinds: Hostility[] = ['lie', 'truncate', 'truncate-close', 'endless', 'giant', 'trickle']
    const hostile = await Promise.all(kinds.map(async () => await startNode({ bootstrap: [addressOf(bootstrap)] })))
    // Every copy is made while all holders are still honest; then they turn.
    for (const node of hostile) await node.hold(shared.cid)
    const asked = await Promise.all(hostile.map(async (node, i) => await makeHostile(node, kinds[i]!)))
    const target = await startTarget({ bootstrap: addressOf(bootstrap), readTimeoutMs: READ_TIMEOUT_MS, holdersPerUnit: 10 })
    await target.reset()
    const output = join(dir, 'fetched.bin')
    const reply = await target.fetch(shared.link, output)
    const stats = await expectWithinBudget(target, 'fetch of 8 MiB past a liar, 2 truncators, an endless and a giant prefix and a trickler (1 honest holder)', { fetchMs: Math.round(reply.ms), hostileAsked: asked.map(count => count()) })
    expect(reply.error).toBeUndefined()
    expect(reply.ok).toBe(true)
    expect(await sha256File(output)).toBe(digest)
    expect(reply.ms).toBeLessThan(30_000)
    // Most hostile holders were found and asked (the look-up wants up to 10 holders).
    expect(asked.filter(count => count() > 0).length).toBeGreaterThanOrEqual(4)
    // The liar and the peers that broke the protocol are dropped for the rest of the fetch.
    expect(reply.banned).toContain(hostile[0]!.peerId.toString())
    expect(stats.activeStreams).toBe(0)
  }, 90_000)

  it('with only hostile holders left, a fetch fails cleanly with a clear error, in bounded time, writing no output', async () => {
    const bootstrap = await startNode()
    const sharer = await startNode({ bootstrap: [addressOf(bootstrap)] })
    const dir = await tempDir()
    const input = join(dir, 'share.bin')
    await writeRandomFile(input, 2 * MiB)
    const shared = await sharer.share(input, { replicas: 0 })
    const kinds: Hostility[] = ['lie', 'truncate', 'truncate-close', 'endless', 'giant', 'trickle']
    const hostile = await Promise.all(kinds.map(async () => await startNode({ bootstrap: [addressOf(bootstrap)] })))
    // Every copy is made while all holders are still honest; then they turn.
    for (const node of hostile) await node.hold(shared.cid)
    const asked = await Promise.all(hostile.map(async (node, i) => await makeHostile(node, kinds[i]!)))
    await sharer.stop()
    const target = await startTarget({ bootstrap: addressOf(bootstrap), readTimeoutMs: READ_TIMEOUT_MS, lookupTimeoutMs: 3_000, holdersPerUnit: 10 })
    await target.reset()
    const output = join(dir, 'never.bin')
    const reply = await target.fetch(shared.link, output)
    await expectWithinBudget(target, 'fetch with only hostile holders (each of the 6 kinds): fails cleanly', { fetchMs: Math.round(reply.ms), error: reply.error?.name, hostileAsked: asked.map(count => count()) })
    expect(reply.ok).toBe(false)
    expect(reply.error?.name).toMatch(/BlockNotFoundError|ShareNotFoundError/)
    expect(reply.error?.message).toMatch(/try again later|no peer in the swarm holds/)
    expect(reply.ms).toBeLessThan(60_000)
    expect(await exists(output)).toBe(false)
    for (const count of asked) expect(count()).toBeGreaterThan(0)
  }, 120_000)
})
