import { describe, it, expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import { StreamCloseEvent, type PeerId } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { CID } from 'multiformats/cid'
import { placeUnit, pushUnit, type PlacementNetwork } from '../../../src/replication/index.js'
import type { PutReply, PutRequest } from '../../../src/protocol/index.js'
import { RefuseCode } from '../../../src/protocol/index.js'
import { rawCid } from '../../../src/format/cid.js'
import { sha256 } from '../../../src/crypto/index.js'

const log = defaultLogger().forComponent('test')

function block (size: number): { cid: CID, bytes: Uint8Array } {
  const bytes = new Uint8Array(randomBytes(size))
  return { cid: rawCid(bytes), bytes }
}

async function peers (count: number): Promise<PeerId[]> {
  return await Promise.all(Array.from({ length: count }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
}

/** A unit of `count` blocks of `size` bytes; its "node" is one more block (placement never decodes it). */
function unitOf (count: number, size: number): { unit: { cid: CID, blocks: CID[] }, bytes: Map<string, Uint8Array> } {
  const blocks = Array.from({ length: count }, () => block(size))
  const node = block(100)
  const bytes = new Map([...blocks, node].map(b => [b.cid.toString(), b.bytes]))
  return { unit: { cid: node.cid, blocks: blocks.map(b => b.cid) }, bytes }
}

/** Every peer stores what it is sent and acknowledges it, unless `behave` says otherwise. */
function network (candidates: PeerId[], behave: (peer: PeerId, put: PutRequest, call: number) => Promise<PutReply> | undefined, held = new Set<string>()): PlacementNetwork & { puts: Array<{ peer: string, blocks: number }> } {
  const puts: Array<{ peer: string, blocks: number }> = []
  let calls = 0
  return {
    puts,
    storagePeers: async () => candidates,
    prove: async (peer, nonce, cids) => cids.map(() => held.has(peer.toString()) ? sha256(nonce, heldBytes.get(peer.toString())!) : undefined),
    push: async (peer, put) => {
      puts.push({ peer: peer.toString(), blocks: put.blocks.length })
      const odd = behave(peer, put, calls++)
      if (odd !== undefined) return await odd
      return { admitted: true, keptUntil: 42, outcomes: put.blocks.map(b => ({ cid: b.cid, ok: true as const })) }
    }
  }
}
const heldBytes = new Map<string, Uint8Array>()

describe('placement counts only durable acknowledgements', () => {
  it('a push that rejects with a StreamCloseEvent (not an Error, no message) is a failure, never a copy', async () => {
    const [a, b, c] = await peers(3)
    const { unit, bytes } = unitOf(3, 1000)
    const net = network([a!, b!, c!], (peer) => peer.equals(b!) ? Promise.reject(new StreamCloseEvent(false)) : undefined)
    const result = await placeUnit(unit, async cid => bytes.get(cid.toString())!, net, log, { replicas: 3, rediscoverMs: [] })
    expect(result.placed.map(p => p.peer.toString()).sort()).toEqual([a!, c!].map(String).sort())
    expect(result.failed).toHaveLength(1)
    expect(result.failed[0]!.reason).toMatch(/stream ended/)
  })

  it('a reply that acknowledges fewer blocks than were pushed is a failure', async () => {
    const [a] = await peers(1)
    const { unit, bytes } = unitOf(2, 1000)
    const net = network([a!], (_peer, put) => Promise.resolve({ admitted: true, keptUntil: 1, outcomes: put.blocks.slice(1).map(b => ({ cid: b.cid, ok: true as const })) }))
    const outcome = await pushUnit(a!, unit, async cid => bytes.get(cid.toString())!, net, { replicas: 1 })
    expect(outcome).toMatchObject({ placed: false, reason: expect.stringMatching(/acknowledged 2 of 3/) })
  })

  it('a refused PUT header moves on to the next candidate; the copies report the lease they were granted', async () => {
    const [a, b] = await peers(2)
    const { unit, bytes } = unitOf(1, 1000)
    // Whichever candidate is closest is asked first, and refuses.
    const net = network([a!, b!], (_peer, _put, call) => call === 0 ? Promise.resolve({ admitted: false, code: RefuseCode.Quota, reason: 'Quota: full' }) : undefined)
    const result = await placeUnit(unit, async cid => bytes.get(cid.toString())!, net, log, { replicas: 1 })
    const [first, second] = net.puts.map(p => p.peer)
    expect(result.placed.map(p => ({ peer: p.peer.toString(), keptUntil: p.keptUntil }))).toEqual([{ peer: second, keptUntil: 42 }])
    expect(result.failed.map(f => ({ peer: f.peer.toString(), reason: f.reason }))).toEqual([{ peer: first, reason: 'Quota: full' }])
  })

  it('stops at the first PUT of a unit that fails, and never sends the unit node after it', async () => {
    const [a] = await peers(1)
    const { unit, bytes } = unitOf(12, 1024 * 1024) // 12 MiB: two PUTs of at most 8 MiB
    const net = network([a!], (_peer, _put, call) => call === 0 ? Promise.reject(new Error('reset')) : undefined)
    const outcome = await pushUnit(a!, unit, async cid => bytes.get(cid.toString())!, net, { replicas: 1 })
    expect(outcome).toEqual({ placed: false, reason: 'reset' })
    expect(net.puts).toHaveLength(1)
  })

  it('a unit in several PUTs counts only once the last one, with the unit node, is acknowledged', async () => {
    const [a] = await peers(1)
    const { unit, bytes } = unitOf(12, 1024 * 1024)
    const net = network([a!], (_peer, put, call) => call === 1 ? Promise.resolve({ admitted: true, keptUntil: 7, outcomes: put.blocks.map((b, i) => i === put.blocks.length - 1 ? { cid: b.cid, ok: false as const, code: RefuseCode.DiskFull, reason: 'DiskFull: full' } : { cid: b.cid, ok: true as const }) }) : undefined)
    const outcome = await pushUnit(a!, unit, async cid => bytes.get(cid.toString())!, net, { replicas: 1 })
    expect(outcome).toEqual({ placed: false, reason: 'DiskFull: full' })
    expect(net.puts.map(p => p.blocks)).toEqual([8, 5])
  })

  it('looks for storage nodes again when too few took the unit, and places on one found later', async () => {
    const [a, b] = await peers(2)
    const { unit, bytes } = unitOf(1, 1000)
    const net = network([a!], () => undefined)
    let lookups = 0
    net.storagePeers = async () => ++lookups === 1 ? [a!] : [a!, b!]
    const result = await placeUnit(unit, async cid => bytes.get(cid.toString())!, net, log, { replicas: 2, rediscoverMs: [1, 1] })
    expect(result.placed.map(p => p.peer.toString()).sort()).toEqual([a!, b!].map(String).sort())
    expect(lookups).toBe(2)
    // Each peer got the unit once: a peer already tried is not pushed to again.
    expect(net.puts.map(p => p.peer).sort()).toEqual([a!, b!].map(String).sort())
  })

  it('renewing sends a holder only the unit node, and nothing to a peer that cannot prove it holds the unit', async () => {
    const [holder, stranger] = await peers(2)
    const { unit, bytes } = unitOf(3, 1000)
    heldBytes.set(holder!.toString(), bytes.get(unit.cid.toString())!)
    const net = network([holder!, stranger!], () => undefined, new Set([holder!.toString()]))
    const read = async (cid: CID): Promise<Uint8Array> => bytes.get(cid.toString())!
    expect(await pushUnit(holder!, unit, read, net, { replicas: 1, renewOnly: true })).toEqual({ placed: true, keptUntil: 42 })
    expect(await pushUnit(stranger!, unit, read, net, { replicas: 1, renewOnly: true })).toMatchObject({ placed: false })
    expect(net.puts).toEqual([{ peer: holder!.toString(), blocks: 1 }])
  })
})
