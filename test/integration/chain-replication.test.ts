import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { startNode, addressOf } from '../helpers/swarm.js'
import { TEST_STORAGE } from '../helpers/storage.js'
import { tempDir, writeRandomFile } from '../helpers/files.js'
import { decodeUnitNode } from '../../src/format/index.js'
import { closestTo, type StorageInit } from '../../src/replication/index.js'
import type { PushAcceptor } from '../../src/protocol/index.js'
import type { VeilNode, VeilNodeInit } from '../../src/node/index.js'

const MiB = 1024 * 1024
const SECRET = new Uint8Array(randomBytes(32))

/** Every block of a one-unit share (its content blocks and its root), as `node` stores it. */
async function blocksOf (node: VeilNode, root: CID): Promise<CID[]> {
  return [...decodeUnitNode(await node.store.get(root)).children, root]
}

/** The storage nodes whose stores hold every block of the share (asked one by one, not taken from any report). */
async function holdersOf (nodes: VeilNode[], blocks: CID[]): Promise<string[]> {
  const holders: string[] = []
  for (const node of nodes) {
    if (node.libp2p.status !== 'started') continue
    let all = true
    for (const cid of blocks) if (!await node.store.has(cid)) { all = false; break }
    if (all) holders.push(node.peerId.toString())
  }
  return holders.sort()
}

/**
 * A light client, a 12 MiB file (two PUTs of 8 MiB) sealed convergently —
 * so its root is known before any storage node starts — and `count`
 * storage nodes whose keys are made first: `setup(position)` configures the
 * node at that position of the chain (0: the closest to the root, which
 * the sharer pushes to).
 */
async function chainSwarm (count: number, setup: (position: number) => { storage?: Partial<StorageInit>, node?: VeilNodeInit } = () => ({})): Promise<{ light: VeilNode, storage: VeilNode[], byPosition: VeilNode[], file: string, root: CID, bytes: number }> {
  const dir = await tempDir()
  const file = join(dir, 'share.bin')
  await writeRandomFile(file, 12 * MiB)
  const bootstrap = await startNode()
  const light = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false, repo: join(dir, 'light') })
  const sealed = await light.share(file, { replicas: 0, convergenceSecret: SECRET })
  const keys: PrivateKey[] = await Promise.all(Array.from({ length: count }, async () => await generateKeyPair('Ed25519')))
  const order = closestTo(sealed.cid, keys.map(key => peerIdFromPrivateKey(key))).map(String)
  const storage: VeilNode[] = []
  for (const key of keys) {
    const position = order.indexOf(peerIdFromPrivateKey(key).toString())
    const { storage: storageInit, node } = setup(position)
    storage.push(await startNode({ ...node, privateKey: key, repo: join(dir, `storage-${position}`), bootstrap: [addressOf(bootstrap)], storage: { ...TEST_STORAGE, ...storageInit } }))
  }
  const byPosition = order.map(id => storage.find(node => node.peerId.toString() === id)!)
  let bytes = 0
  for (const cid of await blocksOf(light, sealed.cid)) bytes += (await light.store.get(cid)).length
  return { light, storage, byPosition, file, root: sealed.cid, bytes }
}

describe('chain replication', () => {
  it('a share to R=3 goes up once: each of the 3 storage nodes holds every block, and the sharer pushed ~1× the share (3× without the chain)', async () => {
    const { light, storage, file, root, bytes } = await chainSwarm(3)
    const before = light.counters.bytesPushed
    const shared = await light.share(file, { replicas: 3, convergenceSecret: SECRET })
    expect(shared.cid.equals(root)).toBe(true)
    expect(shared.replicas, shared.placementFailures.join('; ')).toBe(3)
    expect(shared.placementFailures).toEqual([])
    const blocks = await blocksOf(light, root)
    expect(await holdersOf(storage, blocks)).toEqual(storage.map(node => node.peerId.toString()).sort())
    expect(shared.rootHolders.map(String).sort()).toEqual(storage.map(node => node.peerId.toString()).sort())
    const pushed = light.counters.bytesPushed - before
    expect(pushed).toBeGreaterThanOrEqual(bytes)
    expect(pushed).toBeLessThan(1.1 * bytes)
    // Each storage node stored the share once (the first took it from the sharer, the others from the node before them).
    for (const node of storage) expect(node.counters.bytesStored).toBe(bytes)

    // The same share again: the nodes prove they hold it, so no block goes up again.
    const direct = light.counters.bytesPushed
    const again = await light.share(file, { replicas: 3, convergenceSecret: SECRET })
    expect(again.replicas).toBe(3)
    // The nodes prove they hold the unit: only its node is pushed again (a renewal).
    expect(light.counters.bytesPushed - direct).toBeLessThan(0.1 * bytes)
  }, 120_000)

  it('without the chain a share to R=3 uploads 3×: the figure the chain removes', async () => {
    const { light, storage, file, root, bytes } = await chainSwarm(3)
    const shared = await light.share(file, { replicas: 3, convergenceSecret: SECRET, chain: false })
    expect(shared.replicas).toBe(3)
    expect(await holdersOf(storage, await blocksOf(light, root))).toHaveLength(3)
    expect(light.counters.bytesPushed).toBeGreaterThanOrEqual(3 * bytes)
  }, 120_000)

  it('the 2nd node of the chain is over quota: the chain is cut there, the sharer tops up, and the reported copies are exactly those that exist', async () => {
    const { light, storage, byPosition, file, root, bytes } = await chainSwarm(4, position => position === 1 ? { storage: { capacity: 2 * MiB } } : {})
    const shared = await light.share(file, { replicas: 3, convergenceSecret: SECRET })
    expect(shared.replicas, shared.placementFailures.join('; ')).toBe(3)
    const holders = await holdersOf(storage, await blocksOf(light, root))
    expect(holders).toEqual(shared.rootHolders.map(String).sort())
    expect(holders).not.toContain(byPosition[1]!.peerId.toString())
    expect(holders).toContain(byPosition[0]!.peerId.toString())
    expect(shared.placementFailures.join(' ')).toMatch(/Quota/)
    // One upload to the head, one to each replacement: not one per node of the chain and again.
    expect(light.counters.bytesPushed).toBeLessThan(3.2 * bytes)
  }, 120_000)

  it('the 2nd node of the chain dies mid-push: the share still ends with 3 true copies, and reports exactly those', async () => {
    let victim: VeilNode | undefined
    const { light, storage, byPosition, file, root } = await chainSwarm(4)
    victim = byPosition[1]!
    // It dies as the first PUT's blocks reach it (before it stores them): the unit is two PUTs.
    const acceptor = (victim as unknown as { exchange: { acceptor: PushAcceptor } }).exchange.acceptor
    victim.exchange.setAcceptor({
      admit: async (from, header, options) => {
        const admission = await acceptor.admit(from, header, options)
        if (!admission.ok) return admission
        return {
          ...admission,
          put: {
            store: async (pushes, opts) => {
              const dying = victim
              victim = undefined
              if (dying !== undefined) await dying.libp2p.stop()
              return await admission.put.store(pushes, opts)
            },
            end: (completed) => { admission.put.end(completed) }
          }
        }
      }
    })
    const shared = await light.share(file, { replicas: 3, convergenceSecret: SECRET })
    expect(victim).toBeUndefined()
    expect(shared.replicas, shared.placementFailures.join('; ')).toBe(3)
    const live = storage.filter(node => node.libp2p.status === 'started')
    const holders = await holdersOf(live, await blocksOf(light, root))
    expect(holders).toHaveLength(3)
    expect(holders).toEqual(shared.rootHolders.map(String).sort())
    expect(holders).not.toContain(byPosition[1]!.peerId.toString())
  }, 120_000)

  for (const position of [0, 1, 2]) {
    it(`a node that does not know the CHAIN flag at position ${position} of the chain: the share falls back and ends with 3 true copies`, async () => {
      const { light, storage, file, root, bytes } = await chainSwarm(3, p => p === position ? { node: { exchange: { forward: false } } } : {})
      const shared = await light.share(file, { replicas: 3, convergenceSecret: SECRET })
      expect(shared.replicas, shared.placementFailures.join('; ')).toBe(3)
      const holders = await holdersOf(storage, await blocksOf(light, root))
      expect(holders).toEqual(storage.map(node => node.peerId.toString()).sort())
      expect(holders).toEqual(shared.rootHolders.map(String).sort())
      const pushed = light.counters.bytesPushed
      if (position === 2) {
        // The last node gets a plain PUT: the chain works through to it.
        expect(pushed).toBeLessThan(1.1 * bytes)
      } else {
        // The chain is cut before the old node: the sharer pushes what is missing itself.
        expect(pushed).toBeGreaterThan(1.5 * bytes)
      }
    }, 120_000)
  }
})
