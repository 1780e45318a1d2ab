import { describe, it, expect } from 'vitest'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { streamPair } from '@libp2p/utils'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import type { Connection, Stream } from '@libp2p/interface'
import { BlockServer, refuseAllPushes, wantBlocks, MAX_FRAME, type BlockServerInit } from '../../../src/protocol/index.js'
import { encodeWant } from '../../../src/protocol/messages.js'
import { boundedLengthDecoder, frameLengthDecoder, frameStream, varintLength } from '../../../src/protocol/frames.js'
import { MemoryBlockStore } from '../../../src/blockstore/index.js'
import { rawCid } from '../../../src/format/cid.js'

const PEER = peerIdFromString('12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN')
const connection = { remotePeer: PEER } as unknown as Connection
const LIMITS: BlockServerInit = { maxStreamsPerPeer: 4, readTimeoutMs: 5_000, writeTimeoutMs: 2_000, maxPutBytes: 4 * 1024 * 1024 }
const logger = defaultLogger()

/** Feed `bytes` to the decoder one byte at a time, as lpStream does. */
function decodeByteByByte (decode: (data: Uint8ArrayList) => number, bytes: Uint8Array): { value?: number, calls: number, error?: Error } {
  const list = new Uint8ArrayList()
  let calls = 0
  for (const byte of bytes) {
    list.append(Uint8Array.of(byte))
    calls++
    try {
      return { value: decode(list), calls }
    } catch (err) {
      if (err instanceof RangeError) continue
      return { calls, error: err as Error }
    }
  }
  return { calls }
}

/** Send `total` bytes of `fill` in 64 KiB chunks, as fast as the stream takes them. */
async function sendFill (stream: Stream, fill: number, total: number): Promise<void> {
  const chunk = new Uint8Array(64 * 1024).fill(fill)
  try {
    for (let sent = 0; sent < total && stream.status === 'open' && stream.writeStatus === 'writable'; sent += chunk.length) {
      if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(5_000) })
    }
  } catch {
    // reset by the reader: what the attack should come to
  }
}

describe('bounded length prefixes', () => {
  it('decodes every minimal varint up to the limit, edge values included', () => {
    expect(varintLength(MAX_FRAME)).toBe(4)
    expect(varintLength(127)).toBe(1)
    expect(varintLength(128)).toBe(2)
    for (const value of [0, 1, 127, 128, 16_383, 16_384, 2 ** 21 - 1, 2 ** 21, MAX_FRAME - 1, MAX_FRAME]) {
      expect(decodeByteByByte(frameLengthDecoder, varint.encode(value))).toEqual({ value, calls: varintLength(value) })
    }
  })

  it('gives up on an unterminated prefix after the most bytes a legal one has', () => {
    const result = decodeByteByByte(frameLengthDecoder, new Uint8Array(1024).fill(0xff))
    expect(result.calls).toBe(4)
    expect(result.error).toMatchObject({ name: 'ProtocolViolationError', message: expect.stringContaining('runs past 4 bytes') })
  })

  it('refuses an oversize length and a redundant (non-minimal) prefix', () => {
    expect(decodeByteByByte(frameLengthDecoder, varint.encode(MAX_FRAME + 1)).error).toMatchObject({ name: 'ProtocolViolationError', message: expect.stringContaining('too long') })
    expect(decodeByteByByte(frameLengthDecoder, varint.encode(2 ** 27)).error).toMatchObject({ name: 'ProtocolViolationError' })
    expect(decodeByteByByte(frameLengthDecoder, Uint8Array.of(0x85, 0x00)).error).toMatchObject({ message: expect.stringContaining('redundant') })
    expect(decodeByteByByte(boundedLengthDecoder(100), Uint8Array.of(0xff, 0xff)).error).toMatchObject({ message: expect.stringContaining('runs past 1 bytes') })
  })

  it('reads frames written by lpStream over a stream pair', async () => {
    const [a, b] = await streamPair()
    const writer = frameStream(a, 1024)
    const reader = frameStream(b, 4 * MAX_FRAME)
    const big = new Uint8Array(MAX_FRAME).fill(7)
    await writer.write(Uint8Array.of(1, 2, 3))
    void writer.write(big)
    expect((await reader.read()).subarray()).toEqual(Uint8Array.of(1, 2, 3))
    expect((await reader.read()).byteLength).toBe(MAX_FRAME)
  })
})

describe('a peer sending an endless length prefix', () => {
  it('gets its stream reset at once by the server, which never stalls', async () => {
    const [client, inbound] = await streamPair()
    const rejected: string[] = []
    const server = new BlockServer({ store: new MemoryBlockStore(), acceptor: refuseAllPushes, logger }, { ...LIMITS, events: { onStreamRejected: (_peer, reason) => rejected.push(reason) } })
    const delay = monitorEventLoopDelay({ resolution: 5 })
    delay.enable()
    const started = performance.now()
    const done = server.handle(inbound, connection)
    await Promise.all([sendFill(client, 0xff, 4 * 1024 * 1024), done])
    delay.disable()
    expect(rejected).toHaveLength(1)
    expect(rejected[0]).toMatch(/runs past 3 bytes/) // a request frame is at most 16 KiB
    expect(inbound.status).toBe('aborted')
    // Long before the 5 s read deadline; without the bounded decoder this
    // test hangs in lpStream (measured: 7.8 s of event-loop stall per 2 MiB).
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(delay.max / 1e6).toBeLessThan(100)
  })

  it('makes a fetcher fail cleanly with ProtocolViolationError instead of spinning', async () => {
    const [client, holder] = await streamPair()
    // The "holder" reads the WANT, then answers with 0xff bytes only.
    const answered = (async () => {
      for await (const _ of holder) break
      await sendFill(holder, 0xff, 1024 * 1024)
    })()
    const cid = rawCid(Uint8Array.of(1))
    const started = performance.now()
    const results = async (): Promise<void> => { for await (const _ of wantBlocks(client, [cid], { readTimeoutMs: 5_000, writeTimeoutMs: 2_000 })) { /* nothing arrives */ } }
    await expect(results()).rejects.toMatchObject({ name: 'ProtocolViolationError' })
    expect(performance.now() - started).toBeLessThan(2_000)
    client.abort(new Error('done'))
    await answered
  })
})

describe('a served stream after its request', () => {
  it('is reset once answered when the peer keeps its side open', async () => {
    const store = new MemoryBlockStore()
    const held = { bytes: new Uint8Array(1000).fill(3) }
    const cid = rawCid(held.bytes)
    await store.put({ cid, bytes: held.bytes })
    const [client, inbound] = await streamPair()
    const server = new BlockServer({ store, acceptor: refuseAllPushes, logger }, LIMITS)
    const done = server.handle(inbound, connection)
    const writer = frameStream(client, 8 * MAX_FRAME)
    await writer.write(encodeWant([cid]))
    // A legal-looking 4 MiB frame follows the request, and the client never half-closes.
    void writer.write(new Uint8Array(4 * 1024 * 1024)).catch(() => {})
    await done
    expect(inbound.status).toBe('aborted')
    expect(inbound.readStatus).toBe('closed')
  })

  it('ends gracefully for a client that half-closes after its request', async () => {
    const [client, inbound] = await streamPair()
    const server = new BlockServer({ store: new MemoryBlockStore(), acceptor: refuseAllPushes, logger }, LIMITS)
    const done = server.handle(inbound, connection)
    const results = []
    for await (const result of wantBlocks(client, [rawCid(Uint8Array.of(9))], { readTimeoutMs: 2_000, writeTimeoutMs: 2_000 })) results.push(result)
    await done
    expect(results).toHaveLength(1)
    expect(inbound.status).not.toBe('aborted')
  })
})
