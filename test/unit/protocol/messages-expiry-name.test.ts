import { describe, it, expect } from 'vitest'
import { streamPair } from '@libp2p/utils'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection } from '@libp2p/interface'
import { BlockServer, refuseAllPushes, pushNameRecord, RefuseCode, type NameAcceptor } from '../../../src/protocol/index.js'
import { MessageType } from '../../../src/protocol/codec.js'
import { MAX_NAME_RECORD_SIZE as WIRE_MAX, decodeRequest, encodeName } from '../../../src/protocol/messages.js'
import { encodePut } from '../../../src/protocol/put-messages.js'
import { MAX_NAME_RECORD_SIZE } from '../../../src/names/index.js'
import { MemoryBlockStore } from '../../../src/blockstore/index.js'
import { rawCid } from '../../../src/format/cid.js'

const UNIT = rawCid(new TextEncoder().encode('unit'))
const PEER = peerIdFromString('12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN')
const CLIENT = { readTimeoutMs: 2000, writeTimeoutMs: 2000 }

describe('PUT with a hard expiry (flags byte)', () => {
  it('encodes fixed vectors: flags 0, and flags 1 followed by the expiry (a change here is a protocol change)', () => {
    const plain = encodePut({ unit: UNIT, count: 1, bytes: 100, leaseUntil: 0 })
    expect(Buffer.from(plain.subarray(0, 17)).toString('hex')).toBe('020001000000640000000000000000' + '00' + '24')
    const expiring = encodePut({ unit: UNIT, count: 1, bytes: 100, leaseUntil: 0, expires: 0x0102030405 })
    expect(Buffer.from(expiring.subarray(0, 25)).toString('hex')).toBe('020001000000640000000000000000' + '01' + '0000000102030405' + '24')
    expect(decodeRequest(expiring)).toMatchObject({ type: MessageType.Put, expires: 0x0102030405, leaseUntil: 0 })
    expect(decodeRequest(plain)).not.toHaveProperty('expires')
  })

  it('refuses unknown flag bits and a zero expiry (decoding is strict)', () => {
    const frame = encodePut({ unit: UNIT, count: 1, bytes: 100, leaseUntil: 0 })
    frame[15] = 0x04
    expect(() => decodeRequest(frame)).toThrow(/unknown PUT flags/)
    // A node that does not forward reads bit 1 (CHAIN) as unknown too, as nodes before chain replication did.
    frame[15] = 0x02
    expect(() => decodeRequest(frame, { chain: false })).toThrow(/unknown PUT flags/)
    const zero = encodePut({ unit: UNIT, count: 1, bytes: 100, leaseUntil: 0, expires: 1 })
    zero.fill(0, 16, 24)
    expect(() => decodeRequest(zero)).toThrow(/hard expiry is 0/)
  })
})

describe('NAME: a mutable link\'s record pushed to a holder of its share', () => {
  it('uses the same size limit as the record format', () => {
    expect(WIRE_MAX).toBe(MAX_NAME_RECORD_SIZE)
  })

  it('carries the record alone (no share is named), round-trips, and refuses an empty or oversized record', () => {
    const record = new Uint8Array(300).fill(7)
    const frame = encodeName(record)
    expect(frame.length).toBe(301)
    expect(decodeRequest(frame)).toMatchObject({ type: MessageType.Name, record })
    expect(() => encodeName(new Uint8Array(WIRE_MAX + 1))).toThrow(RangeError)
    expect(() => decodeRequest(new Uint8Array([MessageType.Name, ...new Uint8Array(WIRE_MAX + 1)]))).toThrow(/1–2048 bytes/)
    expect(() => decodeRequest(new Uint8Array([MessageType.Name]))).toThrow(/1–2048 bytes/)
  })

  it('is answered by the node\'s acceptor (OK or REFUSE, naming the record\'s own CID), refused by a node that keeps none, and limited per peer', async () => {
    const seen: Uint8Array[] = []
    const keeper: NameAcceptor = {
      accept: async (_from, record) => {
        seen.push(record)
        return record[0] === 1 ? { ok: true } : { ok: false, code: RefuseCode.Invalid, reason: 'bad record' }
      }
    }
    const server = new BlockServer({ store: new MemoryBlockStore(), acceptor: refuseAllPushes, names: keeper, logger: defaultLogger() }, { namesPerSecond: 2 })
    const ask = async (record = new Uint8Array([1, 2, 3]), srv = server): Promise<unknown> => {
      const [client, inbound] = await streamPair()
      const done = srv.handle(inbound, { remotePeer: PEER } as unknown as Connection)
      const reply = await pushNameRecord(client, record, CLIENT).catch((err: Error) => err)
      await done
      return reply
    }
    expect(await ask()).toEqual({ ok: true })
    expect(await ask(new Uint8Array([2]))).toMatchObject({ ok: false, code: RefuseCode.Invalid })
    expect(seen).toHaveLength(2)
    // 2 a second, bursts of 8: some of the next 8 in a row are answered busy.
    const replies = []
    for (let i = 0; i < 8; i++) replies.push(await ask())
    expect(replies.filter(r => r instanceof Error && (r as Error & { name: string }).name === 'RemoteError').length).toBeGreaterThan(0)
    const plain = new BlockServer({ store: new MemoryBlockStore(), acceptor: refuseAllPushes, logger: defaultLogger() })
    expect(await ask(undefined, plain)).toMatchObject({ ok: false, code: RefuseCode.NotAccepting })
  })
})
