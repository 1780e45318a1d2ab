import { describe, it, expect } from 'vitest'
import { lpStream, streamPair } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import * as varint from 'uint8-varint'
import type { Connection, Stream } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { BlockExchange, BlockServer, refuseAllPushes, wantBlocks, pushBlocks, proveBlocks, RefuseCode, type PushAcceptor, type BlockReader, type BlockServerInit, type PutHeader } from '../../../src/protocol/index.js'
import { MessageType } from '../../../src/protocol/codec.js'
import { blockHeader } from '../../../src/protocol/messages.js'
import { encodePut } from '../../../src/protocol/put-messages.js'
import { MemoryBlockStore } from '../../../src/blockstore/index.js'
import { rawCid } from '../../../src/format/cid.js'
import { sha256 } from '../../../src/crypto/index.js'

const PEER = peerIdFromString('12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN')
const connection = { remotePeer: PEER } as unknown as Connection
const LIMITS = { maxStreamsPerPeer: 4, readTimeoutMs: 300, writeTimeoutMs: 2000, maxPutBytes: 4 * 1024 * 1024 } satisfies BlockServerInit
const CLIENT = { readTimeoutMs: 2000, writeTimeoutMs: 2000 }
const logger = defaultLogger()

function block (size: number, fill = 1): { cid: CID, bytes: Uint8Array } {
  const bytes = new Uint8Array(size).fill(fill)
  bytes[0] = size & 0xff
  return { cid: rawCid(bytes), bytes }
}

async function served (reader: BlockReader, acceptor: PushAcceptor = refuseAllPushes, limits = LIMITS): Promise<{ client: Stream, done: Promise<void>, server: BlockServer }> {
  const [client, inbound] = await streamPair()
  const server = new BlockServer({ store: reader, acceptor, logger }, limits)
  const done = server.handle(inbound, connection)
  return { client, done, server }
}

async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

describe('block exchange over a stream pair', () => {
  it('serves wanted blocks in order and says which it lacks', async () => {
    const store = new MemoryBlockStore()
    const a = block(1000, 1)
    const b = block(70_000, 2)
    const missing = block(10, 3)
    await store.putMany([a, b])
    const { client, done } = await served(store)
    const results = await collect(wantBlocks(client, [b.cid, missing.cid, a.cid], CLIENT))
    await done
    expect(results.map(r => r.cid.toString())).toEqual([b.cid, missing.cid, a.cid].map(String))
    expect(results[0]!.bytes).toEqual(b.bytes)
    expect(results[1]!.bytes).toBeUndefined()
    expect(results[2]!.bytes).toEqual(a.bytes)
  })

  it('catches a peer that serves the wrong bytes for a CID', async () => {
    const good = block(500, 5)
    const liar: BlockReader = { get: async () => new Uint8Array(500).fill(9) }
    const { client } = await served(liar)
    await expect(collect(wantBlocks(client, [good.cid], CLIENT))).rejects.toMatchObject({ name: 'BlockHashMismatchError' })
  })

  it('reads blocks for a WANT without re-hashing them (the fetcher verifies), for a PROVE with; a rotten block is still caught by the fetcher', async () => {
    const store = new MemoryBlockStore()
    const good = block(2000, 4)
    await store.put(good)
    const asked: Array<boolean | undefined> = []
    const spy: BlockReader = { get: async (cid, options) => { asked.push(options?.verify); return await store.get(cid, options) } }
    let { client, done } = await served(spy)
    expect((await collect(wantBlocks(client, [good.cid], CLIENT)))[0]!.bytes).toEqual(good.bytes)
    await done
    ;({ client, done } = await served(spy))
    await proveBlocks(client, new Uint8Array(32), [good.cid], CLIENT)
    await done
    expect(asked).toEqual([false, true])

    // Bit rot on the holder's disk: served as it is, rejected by the fetcher.
    const rotten: BlockReader = { get: async () => { const bytes = good.bytes.slice(); bytes[7]! ^= 1; return bytes } }
    ;({ client } = await served(rotten))
    await expect(collect(wantBlocks(client, [good.cid], CLIENT))).rejects.toMatchObject({ name: 'BlockHashMismatchError' })
  })

  it('refuses pushes on a node that is not a storage node, from the PUT header, before any block is sent', async () => {
    const { client, done } = await served(new MemoryBlockStore())
    const blocks = [block(100, 1), block(200, 2)]
    const reply = await pushBlocks(client, { unit: blocks[1]!.cid, blocks }, CLIENT)
    await done
    expect(reply).toMatchObject({ admitted: false, code: RefuseCode.NotAccepting })
  })

  /** An acceptor that stores into `store`, refuses the block at `refuseAt`, and records how each PUT ended. */
  function recordingAcceptor (store: MemoryBlockStore, refuseAt = -1): PushAcceptor & { headers: PutHeader[], ends: boolean[] } {
    const headers: PutHeader[] = []
    const ends: boolean[] = []
    return {
      headers,
      ends,
      async admit (_from, header) {
        headers.push(header)
        return {
          ok: true,
          keptUntil: 1234,
          put: {
            store: async (pushes) => await Promise.all(pushes.map(async (push, i) => {
              if (i === refuseAt) return { ok: false as const, code: RefuseCode.Quota, reason: 'full' }
              await store.put(push)
              return { ok: true as const }
            })),
            end: (completed) => { ends.push(completed) }
          }
        }
      }
    }
  }

  it('admits a PUT from its header, then reports each block\'s outcome and the lease granted', async () => {
    const store = new MemoryBlockStore()
    const acceptor = recordingAcceptor(store, 1)
    const blocks = [block(100, 1), block(200, 2), block(300, 3)]
    const { client, done } = await served(store, acceptor)
    const reply = await pushBlocks(client, { unit: blocks[2]!.cid, blocks, leaseUntil: 99 }, CLIENT)
    await done
    if (!reply.admitted) throw new Error('expected the PUT to be admitted')
    expect(reply.keptUntil).toBe(1234)
    expect(reply.outcomes.map(o => o.ok)).toEqual([true, false, true])
    expect(reply.outcomes[1]).toMatchObject({ code: RefuseCode.Quota })
    expect(acceptor.headers).toEqual([{ type: 2, unit: blocks[2]!.cid, count: 3, bytes: 600, leaseUntil: 99 }])
    expect(await store.has(blocks[2]!.cid)).toBe(true)
    expect(await store.has(blocks[1]!.cid)).toBe(false)
    // A block was refused: the PUT did not complete.
    expect(acceptor.ends).toEqual([false])
  })

  it('ends an admitted PUT as completed only when every block was stored and acknowledged', async () => {
    const store = new MemoryBlockStore()
    const acceptor = recordingAcceptor(store)
    const blocks = [block(100, 4), block(200, 5)]
    const { client, done } = await served(store, acceptor)
    const reply = await pushBlocks(client, { unit: blocks[1]!.cid, blocks }, CLIENT)
    await done
    expect(reply.admitted && reply.outcomes.every(o => o.ok)).toBe(true)
    expect(acceptor.ends).toEqual([true])
  })

  it('resets a PUT that sends more bytes than its header declared, and ends it as failed', async () => {
    const store = new MemoryBlockStore()
    const acceptor = recordingAcceptor(store)
    const [client, inbound] = await streamPair()
    const server = new BlockServer({ store, acceptor, logger }, LIMITS)
    const done = server.handle(inbound, connection)
    const lp = lpStream(client)
    const big = block(5000, 6)
    await lp.write(encodePut({ unit: big.cid, count: 1, bytes: 100, leaseUntil: 0 }))
    expect((await lp.read()).subarray()[0]).toBe(0x15) // READY
    await lp.write(new Uint8ArrayList(blockHeader(MessageType.Push, big.cid), big.bytes))
    await done
    expect(inbound.status).toBe('aborted')
    expect(acceptor.ends).toEqual([false])
    expect(await store.has(big.cid)).toBe(false)
  })

  it('ends an admitted PUT as failed when the pusher goes away mid-PUT', async () => {
    const store = new MemoryBlockStore()
    const acceptor = recordingAcceptor(store)
    const [client, inbound] = await streamPair()
    const server = new BlockServer({ store, acceptor, logger }, LIMITS)
    const done = server.handle(inbound, connection)
    const lp = lpStream(client)
    const first = block(100, 7)
    await lp.write(encodePut({ unit: first.cid, count: 2, bytes: 200, leaseUntil: 0 }))
    await lp.read()
    await lp.write(new Uint8ArrayList(blockHeader(MessageType.Push, first.cid), first.bytes))
    client.abort(new Error('gone'))
    await done
    expect(acceptor.ends).toEqual([false])
  })

  it('proves possession with SHA-256(nonce ‖ block)', async () => {
    const store = new MemoryBlockStore()
    const held = block(4000, 4)
    await store.put(held)
    const nonce = new Uint8Array(32).fill(7)
    const { client, done } = await served(store)
    const proofs = await proveBlocks(client, nonce, [held.cid, block(1, 1).cid], CLIENT)
    await done
    expect(proofs[0]).toEqual(sha256(nonce, held.bytes))
    expect(proofs[1]).toBeUndefined()
  })

  it('resets a stream whose length prefix is over the frame limit, before buffering it', async () => {
    const [client, inbound] = await streamPair()
    const rejected: string[] = []
    const server = new BlockServer({ store: new MemoryBlockStore(), acceptor: refuseAllPushes, logger }, { ...LIMITS, events: { onStreamRejected: (_peer, reason) => rejected.push(reason) } })
    const done = server.handle(inbound, connection)
    const closed = new Promise(resolve => { client.addEventListener('close', resolve, { once: true }) })
    client.send(varint.encode(100 * 1024 * 1024))
    client.send(new Uint8Array(64 * 1024))
    await done
    await closed
    expect(rejected).toHaveLength(1)
    expect(rejected[0]).toMatch(/too long/)
    expect(inbound.status).toBe('aborted')
  })

  it('resets a stream that sends nothing once the read deadline passes', async () => {
    const { client, done } = await served(new MemoryBlockStore())
    const started = Date.now()
    await done
    expect(Date.now() - started).toBeGreaterThanOrEqual(LIMITS.readTimeoutMs - 20)
    expect(Date.now() - started).toBeLessThan(LIMITS.readTimeoutMs + 1000)
    await expect(collect(wantBlocks(client, [block(1).cid], CLIENT))).rejects.toBeInstanceOf(Error)
  })

  it('refuses a peer over its stream limit with a LIMIT error', async () => {
    const store = new MemoryBlockStore()
    const server = new BlockServer({ store, acceptor: refuseAllPushes, logger }, { ...LIMITS, maxStreamsPerPeer: 1, readTimeoutMs: 2000 })
    const [first, firstInbound] = await streamPair()
    const hold = server.handle(firstInbound, connection) // waits for a request that never comes yet
    const [second, secondInbound] = await streamPair()
    const refused = server.handle(secondInbound, connection)
    await expect(collect(wantBlocks(second, [block(1).cid], CLIENT))).rejects.toMatchObject({ name: 'RemoteError' })
    await refused
    first.abort(new Error('done'))
    await hold
    expect(server.activeStreams).toBe(0)
  })
})

describe('block exchange service', () => {
  it('keeps its deadline for opening a stream when the caller passes a signal of its own', async () => {
    // A peer that never answers: opening a stream waits until the signal it was given aborts.
    const connectionManager = {
      getConnections: () => [],
      openStream: async (_peer: unknown, _protocol: string, options: { signal: AbortSignal }) => await new Promise<never>((_resolve, reject) => {
        options.signal.addEventListener('abort', () => { reject(options.signal.reason) }, { once: true })
      })
    }
    const exchange = new BlockExchange({ registrar: {} as never, connectionManager: connectionManager as never, logger }, { store: new MemoryBlockStore(), readTimeoutMs: 100 })
    const caller = new AbortController()
    await expect(exchange.prove(PEER, new Uint8Array(32), [block(10).cid], { signal: caller.signal })).rejects.toMatchObject({ name: 'TimeoutError' })
    await expect(collect(exchange.want(PEER, [block(10).cid], { signal: caller.signal }))).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(caller.signal.aborted).toBe(false)
  })
})
