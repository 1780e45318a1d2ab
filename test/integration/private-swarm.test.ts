import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { startNode, startSwarm, addressOf } from '../helpers/swarm.js'
import { tempDir, writeRandomFile, sha256File } from '../helpers/files.js'
import { VeilNode, waitFor } from '../../src/node/index.js'
import { createSwarmKey, swarmId } from '../../src/swarm/index.js'
import type { VeilNode as Node } from '../../src/node/index.js'

/**
 * Dial `target` `attempts` times from each node, one attempt at a time per
 * node (libp2p merges concurrent dials to one peer, which would hide
 * attempts); returns how many connections opened and carried a ping. (A
 * dialer can believe it connected for a moment — it negotiates the muxer
 * optimistically — before the refusing side closes the socket.)
 */
async function dialAttempts (from: Node | Node[], target: string, attempts: number): Promise<number> {
  const nodes = Array.isArray(from) ? from : [from]
  const counts = await Promise.all(nodes.map(async node => {
    let connected = 0
    for (let i = 0; i < attempts; i++) {
      try {
        const connection = await node.libp2p.dial(multiaddr(target), { signal: AbortSignal.timeout(2_000), force: true })
        await node.libp2p.services.ping.ping(multiaddr(target), { signal: AbortSignal.timeout(2_000) })
        connected++
        await connection.close()
      } catch {
        // refused: what an outsider should see
      }
    }
    return connected
  }))
  return counts.reduce((sum, n) => sum + n, 0)
}

async function startNodes (count: number, init: Parameters<typeof startNode>[0] = {}): Promise<Node[]> {
  return await Promise.all(Array.from({ length: count }, async () => await startNode(init)))
}

describe('private swarms', () => {
  it('share and fetch work inside a 4-node swarm', async () => {
    const key = createSwarmKey()
    const [, a, , d] = await startSwarm(4, { swarm: { key } })
    expect(a!.swarmId).toBe(swarmId(key))
    expect(a!.exchange.protocol).toBe(`/veil/${swarmId(key)}/blocks/2.0.0`)
    const dir = await tempDir()
    const digest = await writeRandomFile(join(dir, 'in.bin'), 2 * 1024 * 1024 + 3)
    const shared = await a!.share(join(dir, 'in.bin'))
    await d!.get(shared.link, { output: join(dir, 'out.bin') })
    expect(await sha256File(join(dir, 'out.bin'))).toBe(digest)
  }, 60_000)

  it('outsiders without the key or with another key get no connection in 200 attempts, find nothing, fetch nothing; the swarm logs them and keeps working', async () => {
    const key = createSwarmKey()
    const [b, a, c] = await startSwarm(3, { swarm: { key } })
    const dir = await tempDir()
    const digest = await writeRandomFile(join(dir, 'in.bin'), 300_000)
    const shared = await a!.share(join(dir, 'in.bin'))
    const target = addressOf(b!)

    // 200 attempts each: 20 outsiders of each kind, 10 attempts apiece.
    const otherSwarm = createSwarmKey()
    const noKeys = await startNodes(20)
    const otherKeys = await startNodes(20, { swarm: { key: otherSwarm } })
    let started = performance.now()
    expect(await dialAttempts(noKeys, target, 10)).toBe(0)
    const noKeyMs = performance.now() - started
    started = performance.now()
    expect(await dialAttempts(otherKeys, target, 10)).toBe(0)
    const otherKeyMs = performance.now() - started
    // The last refusals are counted as the swarm node finishes with them.
    await waitFor(b!.refusals, ['refused'], () => b!.refusals.total >= 400, 15_000, '400 refusals')
    expect(noKeyMs + otherKeyMs).toBeLessThan(90_000)
    const outsiders = [...noKeys, ...otherKeys]
    expect(b!.libp2p.getConnections().filter(c => outsiders.some(o => o.peerId.equals(c.remotePeer)))).toHaveLength(0)
    const noKey = noKeys[0]!
    const otherKey = otherKeys[0]!

    // They cannot join through the swarm's bootstrap, find holders or fetch.
    for (const outsider of [noKey, otherKey]) {
      const found = []
      for await (const holder of outsider.findHolders(shared.cid, { timeoutMs: 1_000 })) found.push(holder)
      expect(found).toHaveLength(0)
      await expect(outsider.get(shared.link, { output: join(dir, 'stolen.bin') })).rejects.toMatchObject({ name: 'ShareNotFoundError' })
    }

    // The swarm still works.
    await c!.get(shared.link, { output: join(dir, 'out.bin') })
    expect(await sha256File(join(dir, 'out.bin'))).toBe(digest)
  }, 120_000)

  it('a public node and a swarm node on the same host never exchange DHT records', async () => {
    const [swarmBootstrap, swarmNode] = await startSwarm(2, { swarm: { key: createSwarmKey() } })
    const [publicBootstrap, publicNode] = await startSwarm(2)
    const dir = await tempDir()
    await writeRandomFile(join(dir, 'secret.bin'), 1000)
    await writeRandomFile(join(dir, 'public.bin'), 1000)
    const secret = await swarmNode!.share(join(dir, 'secret.bin'))
    const open = await publicNode!.share(join(dir, 'public.bin'))

    // Even told about each other's addresses, they cannot connect.
    await expect(publicNode!.libp2p.dial(multiaddr(addressOf(swarmBootstrap!)), { signal: AbortSignal.timeout(5_000) })).rejects.toBeInstanceOf(Error)
    const lookups = [
      [publicNode!, secret.cid],
      [publicBootstrap!, secret.cid],
      [swarmNode!, open.cid],
      [swarmBootstrap!, open.cid]
    ] as const
    for (const [node, cid] of lookups) {
      const found = []
      for await (const holder of node.findHolders(cid, { timeoutMs: 1_000 })) found.push(holder)
      expect(found).toHaveLength(0)
    }
    for (const node of [swarmBootstrap!, swarmNode!]) {
      expect(node.libp2p.getPeers().some(p => p.equals(publicNode!.peerId) || p.equals(publicBootstrap!.peerId))).toBe(false)
    }
  }, 60_000)

  it('after rotation to a new key, a node still on the old key gets no connections', async () => {
    const oldKey = createSwarmKey()
    const newKey = createSwarmKey()
    const dir = await tempDir()
    // A swarm node with a repo, so its identity survives the restart.
    const repo = join(dir, 'repo')
    let member = await VeilNode.create({ repo, swarm: { key: oldKey } })
    await member.start()
    const address = addressOf(member)
    const stale = await startNode({ swarm: { key: oldKey } })
    expect(await dialAttempts(stale, address, 5)).toBe(5)

    // Rotate: restart with the new key (what `veil swarm rotate` then a restart does).
    await member.stop()
    member = await VeilNode.create({ repo, swarm: { key: newKey }, listen: [address.split('/p2p/')[0]!] })
    await member.start()
    try {
      const rotated = await startNode({ swarm: { key: newKey } })
      expect(await dialAttempts(rotated, addressOf(member), 5)).toBe(5)
      const staleToo = await startNode({ swarm: { key: oldKey } })
      expect(await dialAttempts([stale, staleToo], addressOf(member), 10)).toBe(0)
      await waitFor(member.refusals, ['refused'], () => member.refusals.total >= 20, 15_000, '20 refusals')
    } finally {
      await member.stop()
    }
  }, 60_000)

  it('an allow-list keeps out a peer that holds the key but is not listed', async () => {
    const key = createSwarmKey()
    const friend = await startNode({ swarm: { key } })
    const stranger = await startNode({ swarm: { key } })
    const guarded = await startNode({ swarm: { key, allowPeers: [friend.peerId.toString()] } })
    expect(await dialAttempts(friend, addressOf(guarded), 3)).toBe(3)
    expect(await dialAttempts(stranger, addressOf(guarded), 3)).toBe(0)
    await waitFor(guarded.refusals, ['refused'], () => guarded.refusals.total >= 3, 10_000, '3 refusals')
    await expect(VeilNode.create({ swarm: { key, allowPeers: ['not-a-peer-id'] } })).rejects.toMatchObject({ name: 'InvalidOptionError' })
  }, 30_000)

  it('fails closed: a node that requires a swarm refuses to start without a key', async () => {
    await expect(VeilNode.create({ requireSwarm: true })).rejects.toMatchObject({ name: 'SwarmRequiredError' })
  })
})
