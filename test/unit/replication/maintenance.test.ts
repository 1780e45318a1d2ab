import { describe, it, expect } from 'vitest'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { closestTo, type MaintenanceNetwork } from '../../../src/replication/index.js'
import type { PutRequest } from '../../../src/protocol/index.js'
import { sha256 } from '../../../src/crypto/index.js'
import { KiB, NO_NETWORK, peer, put, share, storageNode } from './helpers.js'

/**
 * A swarm as seen by one storage node: `holders` hold every block (they
 * prove with the node's own bytes), the DHT names only `announced` of them,
 * and `known` storage peers are in the peer store. Pushes are recorded.
 */
function swarm (read: (cid: CID) => Promise<Uint8Array>, opts: { holders: PeerId[], announced: PeerId[], known: PeerId[] }): MaintenanceNetwork & { pushes: Array<{ peer: string, put: PutRequest }> } {
  const holds = new Set(opts.holders.map(String))
  const pushes: Array<{ peer: string, put: PutRequest }> = []
  return {
    ...NO_NETWORK,
    pushes,
    storagePeers: async () => opts.known,
    knownStoragePeers: async () => opts.known,
    findHolders: async function * () { for (const id of opts.announced) yield { id, multiaddrs: [] } },
    prove: async (p, nonce, cids) => await Promise.all(cids.map(async cid => holds.has(p.toString()) ? sha256(nonce, await read(cid)) : undefined)),
    push: async (p, request) => {
      pushes.push({ peer: p.toString(), put: request })
      holds.add(p.toString())
      return { admitted: true, keptUntil: request.leaseUntil ?? 0, outcomes: request.blocks.map(b => ({ cid: b.cid, ok: true as const })) }
    }
  }
}

describe('repair', () => {
  it('counts holders the DHT look-up missed: the storage nodes it knows closest to the unit are asked too', async () => {
    const [a, b, other] = [await peer(), await peer(), await peer()]
    let read: (cid: CID) => Promise<Uint8Array> = async () => { throw new Error('not yet') }
    const network = swarm(async cid => await read(cid), { holders: [a, b], announced: [a], known: [a, b, other] })
    const { storage, store } = await storageNode({}, network)
    read = async cid => await store.get(cid)
    const unit = share(2, KiB)
    await put(storage, await peer(), unit.unit, unit.all)
    const result = await storage.repair()
    expect(result).toMatchObject({ units: 1, underReplicated: 0, copiesAdded: 0 })
    expect((await storage.status()).repairBacklog).toBe(0)
    expect(network.pushes).toEqual([])
  })

  it('gives new copies the lease the unit has here, and leaves expired units alone', async () => {
    const self = await peer()
    let read: (cid: CID) => Promise<Uint8Array> = async () => { throw new Error('not yet') }
    const spare = await peer()
    const network = swarm(async cid => await read(cid), { holders: [], announced: [], known: [spare] })
    const { storage, store } = await storageNode({ leaseMs: 3_600_000 }, network, self)
    read = async cid => await store.get(cid)
    const leaseEnd = Date.now() + 600_000
    const live = share(1, KiB)
    await put(storage, await peer(), live.unit, live.all, { leaseUntil: leaseEnd })
    const expiredEnd = Date.now() + 50
    const expired = share(1, KiB)
    await put(storage, await peer(), expired.unit, expired.all, { leaseUntil: expiredEnd })
    while (Date.now() <= expiredEnd) await new Promise(resolve => setImmediate(resolve))

    const result = await storage.repair()
    // Only the live unit was checked; it had one copy (this node) of 3 and got one more (the only spare).
    expect(result).toMatchObject({ units: 1, underReplicated: 1, repaired: 0, copiesAdded: 1 })
    expect(network.pushes.length).toBeGreaterThan(0)
    for (const { put: request } of network.pushes) {
      expect(request.unit.toString()).toBe(live.unit.toString())
      expect(request.leaseUntil).toBe(leaseEnd)
    }
    expect((await storage.status()).repairBacklog).toBe(1)
  })

  it('counts only holders that prove they hold the unit: a holder that answers wrong proofs is not a copy', async () => {
    const [liar, spare] = [await peer(), await peer()]
    let read: (cid: CID) => Promise<Uint8Array> = async () => { throw new Error('not yet') }
    const network = swarm(async cid => await read(cid), { holders: [], announced: [liar], known: [spare] })
    network.prove = async (_p, _nonce, cids) => cids.map(() => new Uint8Array(32))
    const { storage, store } = await storageNode({ replicas: 2 }, network)
    read = async cid => await store.get(cid)
    const unit = share(1, KiB)
    await put(storage, await peer(), unit.unit, unit.all)
    const result = await storage.repair()
    expect(result).toMatchObject({ units: 1, underReplicated: 1, repaired: 1, copiesAdded: 1 })
    expect(new Set(network.pushes.map(p => p.peer))).toEqual(new Set([spare.toString()]))
  })

  it('leaves the repair of an under-replicated unit to the live holder closest to it', async () => {
    const unit = share(1, KiB)
    const self = await peer()
    // A holder closer to the unit than this node.
    let closer = await peer()
    while (!closestTo(unit.unit, [self, closer])[0]!.equals(closer)) closer = await peer()
    let read: (cid: CID) => Promise<Uint8Array> = async () => { throw new Error('not yet') }
    const network = swarm(async cid => await read(cid), { holders: [closer], announced: [closer], known: [closer, await peer()] })
    const { storage, store } = await storageNode({ replicas: 3 }, network, self)
    read = async cid => await store.get(cid)
    await put(storage, await peer(), unit.unit, unit.all)
    const result = await storage.repair()
    expect(result).toMatchObject({ units: 1, underReplicated: 1, repaired: 0, copiesAdded: 0 })
    expect(network.pushes).toEqual([])
  })
})
