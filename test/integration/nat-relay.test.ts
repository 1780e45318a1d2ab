/**
 * A holder that cannot be dialled (it listens on no address of its own, as
 * a node behind NAT) reserves a slot on a relay and announces a
 * `/p2p-circuit` address; a fetcher finds it through the DHT and fetches
 * through the relay. In a private swarm the relay never limits a circuit;
 * on the public network it keeps libp2p's limits (128 KiB, 2 minutes),
 * which a block transfer does not fit, unless its operator relays without
 * limits.
 */
import { describe, it, expect } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { join } from 'node:path'
import { startNode, addressOf } from '../helpers/swarm.js'
import { tempDir, writeRandomFile, sha256File } from '../helpers/files.js'
import { waitFor, type VeilNode } from '../../src/node/index.js'
import { createSwarmKey } from '../../src/swarm/index.js'
import type { NatInit } from '../../src/node/index.js'

interface World { relay: VeilNode, hidden: VeilNode, fetcher: VeilNode, circuit: string }

async function world (swarm: { key: Uint8Array } | undefined, relayNat: NatInit): Promise<World> {
  const relay = await startNode({ swarm, nat: { ...relayNat, relayServer: true } })
  // No listen address of its own: reachable only through the relay.
  const hidden = await startNode({ swarm, listen: [], bootstrap: [addressOf(relay)], nat: { reserve: true } })
  const circuit = (): string | undefined => hidden.addresses().map(String).find(a => a.includes('/p2p-circuit'))
  await waitFor(hidden.libp2p as unknown as EventTarget, ['self:peer:update'], () => circuit() !== undefined, 20_000, 'a relay reservation')
  const fetcher = await startNode({ swarm, listen: [], dhtServer: false, bootstrap: [addressOf(relay)], fetch: { lookupTimeoutMs: 4_000 } })
  return { relay, hidden, fetcher, circuit: circuit()! }
}

describe('NAT traversal through a circuit relay', () => {
  it('in a private swarm, a node with no address of its own is fetched from through the relay, unlimited', async () => {
    const { hidden, fetcher, circuit } = await world({ key: createSwarmKey() }, {})
    expect(circuit).toMatch(/\/p2p-circuit\/p2p\/12D3KooW/)
    const dir = await tempDir()
    const digest = await writeRandomFile(join(dir, 'in.bin'), 3 * 1024 * 1024 + 5)
    const shared = await hidden.share(join(dir, 'in.bin'), { replicas: 0 })
    await fetcher.get(shared.link, { output: join(dir, 'out.bin') })
    expect(await sha256File(join(dir, 'out.bin'))).toBe(digest)
    const links = fetcher.libp2p.getConnections(hidden.peerId)
    expect(links.length).toBeGreaterThan(0)
    expect(links.every(c => c.remoteAddr.toString().includes('/p2p-circuit'))).toBe(true)
    // Counted as fetched (the metrics read these).
    expect(fetcher.counters.bytesFetched).toBeGreaterThan(3 * 1024 * 1024)
    expect(hidden.counters.bytesServed).toBeGreaterThan(3 * 1024 * 1024)
  }, 90_000)

  it('on the public network the relay keeps its limits (a block does not fit), unless its operator relays without limits', async () => {
    const dir = await tempDir()
    await writeRandomFile(join(dir, 'in.bin'), 1024 * 1024)
    const limited = await world(undefined, {})
    const connection = await limited.fetcher.libp2p.dial(multiaddr(limited.circuit))
    expect(connection.limits).toBeDefined()
    const shared = await limited.hidden.share(join(dir, 'in.bin'), { replicas: 0 })
    await expect(limited.fetcher.get(shared.link, { output: join(dir, 'limited.bin') })).rejects.toThrow()

    const open = await world(undefined, { relayLimits: 'none' })
    const again = await open.hidden.share(join(dir, 'in.bin'), { replicas: 0 })
    await open.fetcher.get(again.link, { output: join(dir, 'open.bin') })
    expect(await sha256File(join(dir, 'open.bin'))).toBe(await sha256File(join(dir, 'in.bin')))
  }, 120_000)
})
