import { describe, it, expect } from 'vitest'
import { streamPair } from '@libp2p/utils'
import { defaultLogger } from '@libp2p/logger'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { BlockServer, openPut, pushBlocks, refuseAllPushes, RefuseCode, type PushAcceptor, type PutForwarder } from '../../../src/protocol/index.js'
import { MessageType } from '../../../src/protocol/codec.js'
import { decodeRequest, decodeResponse } from '../../../src/protocol/messages.js'
import { MAX_CHAIN_HOPS, encodeChain, encodePut, encodeReady } from '../../../src/protocol/put-messages.js'
import { MemoryBlockStore } from '../../../src/blockstore/index.js'
import { rawCid } from '../../../src/format/cid.js'

const logger = defaultLogger()
const CLIENT = { readTimeoutMs: 2000, writeTimeoutMs: 2000 }
const LIMITS = { readTimeoutMs: 2000, writeTimeoutMs: 2000 }

async function peers (count: number): Promise<PeerId[]> {
  return await Promise.all(Array.from({ length: count }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
}

function block (size: number, fill: number): { cid: CID, bytes: Uint8Array } {
  const bytes = new Uint8Array(size).fill(fill)
  bytes[0] = size & 0xff
  return { cid: rawCid(bytes), bytes }
}

const UNIT = block(10, 9).cid

/** Stores what it is pushed; `onStore` runs before it does. */
function storingAcceptor (store: MemoryBlockStore, keptUntil: number, onStore?: () => void): PushAcceptor & { ends: boolean[] } {
  const ends: boolean[] = []
  return {
    ends,
    async admit () {
      return {
        ok: true,
        keptUntil,
        put: {
          store: async (pushes) => {
            onStore?.()
            for (const push of pushes) await store.put(push)
            return pushes.map(() => ({ ok: true as const }))
          },
          end: (completed) => { ends.push(completed) }
        }
      }
    }
  }
}

/**
 * Block servers joined by in-memory stream pairs: each node's forwarder
 * opens a stream to the node named by the peer id (a missing one is
 * unreachable). Every node's server sees its pusher as `from`.
 */
class Nodes {
  readonly servers = new Map<string, BlockServer>()
  readonly inbound = new Map<string, Stream[]>()
  readonly served: Array<Promise<void>> = []

  add (peer: PeerId, acceptor: PushAcceptor, forward = true): void {
    const self = this
    const forwarder: PutForwarder = async (next, header, options) => {
      const stream = await self.open(peer, next)
      return await openPut(stream, header, CLIENT, options)
    }
    this.servers.set(peer.toString(), new BlockServer({ store: new MemoryBlockStore(), acceptor, logger, forward: forward ? forwarder : undefined }, LIMITS))
  }

  async open (from: PeerId, to: PeerId): Promise<Stream> {
    const server = this.servers.get(to.toString())
    if (server === undefined) throw new Error(`no route to ${to.toString()}`)
    const [client, inbound] = await streamPair()
    const list = this.inbound.get(to.toString()) ?? []
    list.push(inbound)
    this.inbound.set(to.toString(), list)
    this.served.push(server.handle(inbound, { remotePeer: from } as unknown as Connection))
    return client
  }
}

describe('chained PUT frames', () => {
  it('round-trip a chain (with an expiry and a path), and READY and CHAIN hop lists', async () => {
    const chain = await peers(3)
    const frame = encodePut({ unit: UNIT, count: 2, bytes: 100, leaseUntil: 5, expires: 77, chain, path: [UNIT] })
    expect(frame[15]).toBe(0x03)
    const request = decodeRequest(frame)
    expect(request).toMatchObject({ type: MessageType.Put, count: 2, bytes: 100, leaseUntil: 5, expires: 77 })
    if (request.type !== MessageType.Put) throw new Error('not a PUT')
    expect(request.chain!.map(String)).toEqual(chain.map(String))
    expect(request.path!.map(String)).toEqual([UNIT.toString()])
    const hops = [{ ok: true as const, keptUntil: 123 }, { ok: false as const, code: RefuseCode.Quota, reason: 'full' }]
    expect(decodeResponse(encodeReady(UNIT, 9, hops))).toMatchObject({ type: MessageType.Ready, keptUntil: 9, hops })
    expect(decodeResponse(encodeReady(UNIT, 9))).not.toHaveProperty('hops')
    expect(decodeResponse(encodeChain(UNIT, hops))).toMatchObject({ type: MessageType.Chain, hops })
  })

  it('refuses every malformed chain before reading (or allocating for) what it announces', async () => {
    const [a, b] = await peers(2)
    const good = encodePut({ unit: UNIT, count: 1, bytes: 10, leaseUntil: 0, chain: [a!] })
    const id = a!.toMultihash().bytes
    const at = 16 // the hop count follows the flags byte
    const variant = (patch: (frame: Uint8Array) => Uint8Array): Uint8Array => patch(good.slice())
    expect(() => decodeRequest(variant(f => { f[at] = 0; return f }))).toThrow(/1–7 next nodes/)
    expect(() => decodeRequest(variant(f => { f[at] = 8; return f }))).toThrow(/1–7 next nodes/)
    expect(() => decodeRequest(variant(f => { f[at] = 255; return f }))).toThrow(/1–7 next nodes/)
    expect(() => decodeRequest(variant(f => { f[at + 1] = 0; return f }))).toThrow(/peer id length/)
    expect(() => decodeRequest(variant(f => { f[at + 1] = 65; return f }))).toThrow(/peer id length/)
    expect(() => decodeRequest(variant(f => { f[at + 2] = 0x99; return f }))).toThrow(/undecodable peer id/)
    // Announces 7 next nodes and carries one: the frame ends early, nothing is built for the other six.
    expect(() => decodeRequest(variant(f => { f[at] = 7; return f }))).toThrow(/ends early|bad CID|undecodable/)
    const twice = encodePut({ unit: UNIT, count: 1, bytes: 10, leaseUntil: 0, chain: [a!, b!] })
    twice.set(id, at + 2 + id.length + 1)
    expect(() => decodeRequest(twice)).toThrow(/twice/)
    expect(() => encodePut({ unit: UNIT, count: 1, bytes: 10, leaseUntil: 0, chain: [] })).toThrow(RangeError)
    const tooMany = await peers(MAX_CHAIN_HOPS + 1)
    expect(() => encodePut({ unit: UNIT, count: 1, bytes: 10, leaseUntil: 0, chain: tooMany })).toThrow(RangeError)
    // Hop lists are bounded the same way.
    const ready = encodeReady(UNIT, 1, [{ ok: true, keptUntil: 1 }])
    ready[2 + UNIT.bytes.length + 8] = 8
    expect(() => decodeResponse(ready)).toThrow(/1–7 next nodes/)
  })
})

describe('a chained PUT through block servers', () => {
  it('each node stores every block and forwards it; READY and CHAIN report every next node with its lease', async () => {
    const [a, b, c] = await peers(3)
    const stores = [new MemoryBlockStore(), new MemoryBlockStore(), new MemoryBlockStore()]
    const nodes = new Nodes()
    nodes.add(a!, storingAcceptor(stores[0]!, 100))
    nodes.add(b!, storingAcceptor(stores[1]!, 200))
    nodes.add(c!, storingAcceptor(stores[2]!, 300))
    const blocks = [block(1000, 1), block(2000, 2), block(3000, 3)]
    const sharer = await peers(1)
    const reply = await pushBlocks(await nodes.open(sharer[0]!, a!), { unit: blocks[2]!.cid, blocks, chain: [b!, c!] }, CLIENT)
    expect(reply).toMatchObject({ admitted: true, keptUntil: 100, chain: [{ ok: true, keptUntil: 200 }, { ok: true, keptUntil: 300 }] })
    if (!reply.admitted) throw new Error('refused')
    expect(reply.outcomes.every(o => o.ok)).toBe(true)
    for (const store of stores) for (const b of blocks) expect(await store.has(b.cid)).toBe(true)
    await Promise.all(nodes.served)
  })

  it('a next node that refuses the header cuts the chain there: READY says so before any block is sent, the first node still stores', async () => {
    const [a, b, c] = await peers(3)
    const stores = [new MemoryBlockStore(), new MemoryBlockStore()]
    const nodes = new Nodes()
    nodes.add(a!, storingAcceptor(stores[0]!, 100))
    nodes.add(b!, refuseAllPushes)
    nodes.add(c!, storingAcceptor(stores[1]!, 300))
    const blocks = [block(1000, 4)]
    const stream = await nodes.open((await peers(1))[0]!, a!)
    const opening = await openPut(stream, { unit: blocks[0]!.cid, count: 1, bytes: 1000, leaseUntil: 0, chain: [b!, c!] }, CLIENT)
    if (!opening.admitted) throw new Error('refused')
    expect(opening.session.hops).toMatchObject([{ ok: false, code: RefuseCode.NotAccepting }, { ok: false, code: RefuseCode.Unreachable, reason: expect.stringMatching(/not reached/) }])
    await opening.session.send(blocks[0]!)
    const answers = await opening.session.finish([blocks[0]!.cid])
    expect(answers.outcomes.every(o => o.ok)).toBe(true)
    expect(answers.chain).toMatchObject([{ ok: false, code: RefuseCode.NotAccepting }, { ok: false, code: RefuseCode.Unreachable }])
    expect(await stores[0]!.has(blocks[0]!.cid)).toBe(true)
    expect(await stores[1]!.has(blocks[0]!.cid)).toBe(false)
  })

  it('an unreachable next node, and one that dies mid-PUT, are reported Unreachable; the node after it is lost with it', async () => {
    const [a, b, c, nowhere] = await peers(4)
    const nodes = new Nodes()
    const storeA = new MemoryBlockStore()
    nodes.add(a!, storingAcceptor(storeA, 100))
    // b's stream is reset as soon as it has the blocks, before it answers.
    const acceptorB = storingAcceptor(new MemoryBlockStore(), 200, () => { for (const s of nodes.inbound.get(b!.toString()) ?? []) s.abort(new Error('died')) })
    nodes.add(b!, acceptorB)
    nodes.add(c!, storingAcceptor(new MemoryBlockStore(), 300))
    const blocks = [block(1000, 5), block(500, 6)]
    const sharer = (await peers(1))[0]!
    const unreachable = await pushBlocks(await nodes.open(sharer, a!), { unit: blocks[1]!.cid, blocks, chain: [nowhere!, c!] }, CLIENT)
    expect(unreachable).toMatchObject({ admitted: true, chain: [{ ok: false, code: RefuseCode.Unreachable, reason: expect.stringMatching(/no route/) }, { ok: false, code: RefuseCode.Unreachable }] })
    const died = await pushBlocks(await nodes.open(sharer, a!), { unit: blocks[1]!.cid, blocks, chain: [b!, c!] }, CLIENT)
    if (!died.admitted) throw new Error('refused')
    expect(died.outcomes.every(o => o.ok)).toBe(true)
    expect(died.chain).toMatchObject([{ ok: false, code: RefuseCode.Unreachable, reason: expect.stringMatching(/lost it/) }, { ok: false, code: RefuseCode.Unreachable }])
    expect(await storeA.has(blocks[0]!.cid)).toBe(true)
  })

  it('a node that does not forward refuses a chained PUT as a protocol violation (as older nodes do), and takes a plain one', async () => {
    const [a, b] = await peers(2)
    const nodes = new Nodes()
    nodes.add(a!, storingAcceptor(new MemoryBlockStore(), 100), false)
    const blocks = [block(100, 7)]
    const sharer = (await peers(1))[0]!
    await expect(pushBlocks(await nodes.open(sharer, a!), { unit: blocks[0]!.cid, blocks, chain: [b!] }, CLIENT)).rejects.toMatchObject({ name: 'RemoteError' })
    expect(await pushBlocks(await nodes.open(sharer, a!), { unit: blocks[0]!.cid, blocks }, CLIENT)).toMatchObject({ admitted: true })
  })

  it('forwards at most 8 chained PUTs of one pusher at once: past that the chain is cut (Busy), the PUT itself still stored', async () => {
    const [a, b] = await peers(2)
    const nodes = new Nodes()
    const storeA = new MemoryBlockStore()
    nodes.add(a!, storingAcceptor(storeA, 100))
    // b admits and then waits: its PUTs stay open until released.
    let release: () => void = () => {}
    const held = new Promise<void>(resolve => { release = resolve })
    nodes.add(b!, {
      async admit () {
        return { ok: true, keptUntil: 1, put: { store: async (pushes) => { await held; return pushes.map(() => ({ ok: true as const })) }, end: () => {} } }
      }
    })
    const sharer = (await peers(1))[0]!
    const openings = await Promise.all(Array.from({ length: 9 }, async (_, i) => await openPut(await nodes.open(sharer, a!), { unit: block(100, 20 + i).cid, count: 1, bytes: 100, leaseUntil: 0, chain: [b!] }, CLIENT)))
    const hops = openings.map(o => o.admitted ? o.session.hops![0]! : undefined)
    expect(hops.filter(h => h?.ok === true)).toHaveLength(8)
    expect(hops.filter(h => h?.ok === false && h.code === RefuseCode.Busy)).toHaveLength(1)
    release()
    for (const [i, opening] of openings.entries()) {
      if (!opening.admitted) continue
      const b = block(100, 20 + i)
      await opening.session.send(b)
      await opening.session.finish([b.cid])
    }
  })
})
