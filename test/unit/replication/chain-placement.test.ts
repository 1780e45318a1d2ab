import { describe, it, expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import type { PeerId } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { CID } from 'multiformats/cid'
import { closestTo, placeUnit, type PlacementNetwork } from '../../../src/replication/index.js'
import { ErrorCode, RefuseCode, RemoteError, type HopStatus, type PutReply, type PutRequest } from '../../../src/protocol/index.js'
import { rawCid } from '../../../src/format/cid.js'
import { sha256 } from '../../../src/crypto/index.js'

const log = defaultLogger().forComponent('test')

async function peers (count: number): Promise<PeerId[]> {
  return await Promise.all(Array.from({ length: count }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
}

function block (size: number): { cid: CID, bytes: Uint8Array } {
  const bytes = new Uint8Array(randomBytes(size))
  return { cid: rawCid(bytes), bytes }
}

/** A unit of `count` blocks of 1 MiB (PUTs of at most 8 MiB); its "node" is one more block. */
function unitOf (count: number): { unit: { cid: CID, blocks: CID[] }, bytes: Map<string, Uint8Array> } {
  const blocks = Array.from({ length: count }, () => block(1024 * 1024))
  const node = block(100)
  return { unit: { cid: node.cid, blocks: blocks.map(b => b.cid) }, bytes: new Map([...blocks, node].map(b => [b.cid.toString(), b.bytes])) }
}

/**
 * A swarm simulated at the PUT level: `hop(peer, put, call)` says what a
 * next node of the chain did with a PUT (default: stored it); each node
 * remembers what it stored, and proves only that. Direct pushes store too.
 */
function swarm (candidates: PeerId[], options: { head?: (peer: PeerId, put: PutRequest, call: number) => PutReply | Error | undefined, hop?: (peer: PeerId, put: PutRequest, call: number) => HopStatus | undefined, claim?: boolean } = {}): PlacementNetwork & { puts: Array<{ peer: string, blocks: number, chain: string[] }>, stored: Map<string, Map<string, Uint8Array>> } {
  const puts: Array<{ peer: string, blocks: number, chain: string[] }> = []
  const stored = new Map<string, Map<string, Uint8Array>>()
  const keep = (peer: PeerId, put: PutRequest): void => {
    const mine = stored.get(peer.toString()) ?? new Map<string, Uint8Array>()
    for (const b of put.blocks) mine.set(b.cid.toString(), b.bytes)
    stored.set(peer.toString(), mine)
  }
  let calls = 0
  return {
    puts,
    stored,
    storagePeers: async () => candidates,
    prove: async (peer, nonce, cids) => cids.map(cid => {
      const bytes = stored.get(peer.toString())?.get(cid.toString())
      return bytes === undefined ? undefined : sha256(nonce, bytes)
    }),
    push: async (peer, put) => {
      const call = calls++
      puts.push({ peer: peer.toString(), blocks: put.blocks.length, chain: (put.chain ?? []).map(String) })
      const odd = options.head?.(peer, put, call)
      if (odd instanceof Error) throw odd
      if (odd !== undefined) return odd
      keep(peer, put)
      const chain: HopStatus[] = []
      let broken = false
      for (const next of put.chain ?? []) {
        const status = broken ? { ok: false as const, code: RefuseCode.Unreachable, reason: 'not reached' } : options.hop?.(next, put, call) ?? { ok: true as const, keptUntil: 50 }
        if (status.ok && options.claim !== true) keep(next, put)
        if (!status.ok) broken = true
        chain.push(status)
      }
      return { admitted: true, keptUntil: 42, outcomes: put.blocks.map(b => ({ cid: b.cid, ok: true as const })), chain: put.chain === undefined ? undefined : chain }
    }
  }
}

const CHAIN = (): { unsupported: Set<string> } => ({ unsupported: new Set() })

describe('placement along a chain', () => {
  it('pushes each PUT once, to the closest node, naming the next two; every node of the chain is a copy with its own lease', async () => {
    const candidates = await peers(4)
    const { unit, bytes } = unitOf(12)
    const net = swarm(candidates)
    const result = await placeUnit(unit, async cid => bytes.get(cid.toString())!, net, log, { replicas: 3, chain: CHAIN() })
    const order = closestTo(unit.cid, candidates).map(String)
    expect(net.puts).toEqual([{ peer: order[0], blocks: 8, chain: order.slice(1, 3) }, { peer: order[0], blocks: 5, chain: order.slice(1, 3) }])
    expect(result.placed.map(p => ({ peer: p.peer.toString(), keptUntil: p.keptUntil }))).toEqual([{ peer: order[0], keptUntil: 42 }, { peer: order[1], keptUntil: 50 }, { peer: order[2], keptUntil: 50 }])
    expect(result.failed).toEqual([])
  })

  it('a node that fails in the 2nd PUT is cut with the node after it; the sharer pushes to both directly, never counting a copy twice', async () => {
    const candidates = await peers(4)
    const { unit, bytes } = unitOf(12)
    const order = closestTo(unit.cid, candidates)
    const net = swarm(candidates, { hop: (peer, _put, call) => call === 1 && peer.equals(order[1]!) ? { ok: false, code: RefuseCode.Unreachable, reason: 'lost it during the PUT' } : undefined })
    const result = await placeUnit(unit, async cid => bytes.get(cid.toString())!, net, log, { replicas: 3, chain: CHAIN() })
    const placed = result.placed.map(p => p.peer.toString())
    expect(placed).toHaveLength(3)
    expect(new Set(placed).size).toBe(3)
    expect(placed[0]).toBe(order[0]!.toString())
    // After the chain: direct pushes, starting with the two cut from it.
    expect(net.puts.slice(2).map(p => p.chain)).toEqual(net.puts.slice(2).map(() => []))
    expect(new Set(net.puts.slice(2).map(p => p.peer))).toEqual(new Set([order[1]!, order[2]!].map(String)))
    // Every reported copy holds the whole unit.
    for (const peer of placed) for (const cid of [...unit.blocks, unit.cid]) expect(net.stored.get(peer)?.has(cid.toString())).toBe(true)
  })

  it('a first node that lies about the next nodes counts alone: they cannot prove it, and get direct pushes', async () => {
    const candidates = await peers(3)
    const { unit, bytes } = unitOf(3)
    const order = closestTo(unit.cid, candidates).map(String)
    const net = swarm(candidates, { claim: true })
    const result = await placeUnit(unit, async cid => bytes.get(cid.toString())!, net, log, { replicas: 3, chain: CHAIN() })
    expect(result.placed.map(p => p.peer.toString()).sort()).toEqual([...order].sort())
    // The chain PUT, then a proof-backed direct push to each of the two others.
    expect(net.puts[0]).toEqual({ peer: order[0], blocks: 4, chain: order.slice(1) })
    expect(new Set(net.puts.slice(1).map(p => p.peer))).toEqual(new Set(order.slice(1)))
  })

  it('a first node that does not know chained PUTs gets direct pushes like every other, and is never put first again', async () => {
    const candidates = await peers(3)
    const { unit, bytes } = unitOf(2)
    const order = closestTo(unit.cid, candidates).map(String)
    const net = swarm(candidates, { head: (_peer, put) => put.chain !== undefined ? new RemoteError(ErrorCode.BadRequest, 'the peer refused the request (BadRequest)') : undefined })
    const chain = CHAIN()
    const result = await placeUnit(unit, async cid => bytes.get(cid.toString())!, net, log, { replicas: 3, chain })
    expect(result.placed.map(p => p.peer.toString()).sort()).toEqual([...order].sort())
    expect(chain.unsupported.has(order[0]!)).toBe(true)
    // The same unit on a fresh swarm: no chain is tried through it.
    const fresh = swarm(candidates)
    await placeUnit(unit, async cid => bytes.get(cid.toString())!, fresh, log, { replicas: 3, chain })
    expect(fresh.puts.map(p => p.chain)).toEqual([[], [], []])
  })

  it('a first node that refuses (quota) is not a copy and not tried again; the others are pushed to directly', async () => {
    const candidates = await peers(4)
    const { unit, bytes } = unitOf(2)
    const order = closestTo(unit.cid, candidates).map(String)
    const net = swarm(candidates, { head: (peer) => peer.toString() === order[0] ? { admitted: false, code: RefuseCode.Quota, reason: 'Quota: full' } : undefined })
    const result = await placeUnit(unit, async cid => bytes.get(cid.toString())!, net, log, { replicas: 3, chain: CHAIN() })
    expect(result.placed.map(p => p.peer.toString()).sort()).toEqual(order.slice(1).sort())
    expect(result.failed.map(f => f.peer.toString())).toEqual([order[0]])
    expect(net.puts.filter(p => p.peer === order[0])).toHaveLength(1)
  })
})

describe('PUTs of a unit in flight', () => {
  it('with 2 under way along a chain, a node cut by an earlier reply gets no later PUT, and the unit node goes alone, last, after every other was acknowledged', async () => {
    const candidates = await peers(3)
    const { unit, bytes } = unitOf(30) // 4 PUTs: 8 + 8 + 8 + (6 and the node)
    const order = closestTo(unit.cid, candidates)
    let answered = 0
    const net = swarm(candidates, { hop: (peer, _put, call) => call === 0 && peer.equals(order[2]!) ? { ok: false, code: RefuseCode.Quota, reason: 'full' } : undefined })
    const push = net.push
    const pending: Array<() => void> = []
    const answeredAtSend: number[] = []
    // Replies are held until released, so two PUTs are truly under way at once.
    net.push = async (peer, put, opts) => {
      answeredAtSend.push(answered)
      const reply = await push(peer, put, opts)
      await new Promise<void>(resolve => { pending.push(resolve) })
      answered++
      return reply
    }
    const releaser = setInterval(() => { pending.shift()?.() }, 5)
    try {
      const result = await placeUnit(unit, async cid => bytes.get(cid.toString())!, net, log, { replicas: 3, chain: CHAIN(), putsInFlight: 2 })
      expect(result.placed.map(p => p.peer.toString()).sort()).toEqual(order.map(String).sort())
    } finally {
      clearInterval(releaser)
    }
    const chained = net.puts.filter(p => p.peer === order[0]!.toString())
    expect(chained.map(p => p.blocks)).toEqual([8, 8, 8, 7])
    // The 2nd PUT left before the 1st's reply cut the third node; the 3rd and 4th name only the second.
    expect(chained.map(p => p.chain.length)).toEqual([2, 2, 1, 1])
    // Two under way (the 2nd sent before any answer), the 3rd after the 1st's, the node's only after all three.
    expect(answeredAtSend.slice(0, 4)).toEqual([0, 0, 1, 3])
  })
})
