import { describe, it, expect } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import * as dagCbor from '@ipld/dag-cbor'
import type { KadDHT } from '@libp2p/kad-dht'
import { dagCborCid } from '../../../src/format/cid.js'
import { nameCidFromPublicKey } from '../../../src/link/index.js'
import { tempDir } from '../../helpers/files.js'
import {
  KeyStore, decodeNameRecord, NameService, SeenSequences, nameDhtKey, nameRecordSelector, nameRecordValidator, publicKeyFromSeed, sealNameValue, signNameRecord
} from '../../../src/names/index.js'

const SEED = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const PUBLIC_KEY = publicKeyFromSeed(SEED)
const NAME = nameCidFromPublicKey(PUBLIC_KEY)
const READ_KEY = new Uint8Array(32).fill(4)
const ROOT = dagCborCid(new TextEncoder().encode('v'))
const SELF = peerIdFromString('12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN')

async function record (sequence: number, over: { signedAt?: number, validUntil?: number, sealedValue?: Uint8Array } = {}): Promise<Uint8Array> {
  const now = Date.now()
  return signNameRecord(SEED, {
    publicKey: PUBLIC_KEY,
    sequence,
    signedAt: over.signedAt ?? now,
    validUntil: over.validUntil ?? now + 3_600_000,
    sealedValue: over.sealedValue ?? await sealNameValue(READ_KEY, PUBLIC_KEY, { root: ROOT, key: new Uint8Array(32).fill(sequence) })
  })
}

/** A name service whose DHT answers a look-up with `values` (as kad-dht's VALUE events). */
function service (values: () => Uint8Array[], seen = new SeenSequences()): NameService {
  const dht = {
    get: async function * () { for (const value of values()) yield { name: 'VALUE', value } },
    put: async function * () {}
  } as unknown as KadDHT
  return new NameService({
    dht, seen, self: SELF, pushName: async () => ({ ok: true }), findHolders: async function * () {}, storagePeers: async () => [], logger: defaultLogger()
  })
}

describe('resolving a mutable link (the fetcher\'s checks)', () => {
  it('takes the newest valid record and opens it with the link\'s key', async () => {
    const names = service(() => [r2, r3, r1])
    const [r1, r2, r3] = [await record(1), await record(2), await record(3)]
    const resolved = await names.resolve(NAME, READ_KEY)
    expect(resolved.sequence).toBe(3)
    expect(resolved.root.equals(ROOT)).toBe(true)
    expect(resolved.key).toEqual(new Uint8Array(32).fill(3))
  })

  it('skips forged records (bad signature, oversized value, expired, future) and finds none', async () => {
    const genuine = await record(5)
    const forged = [
      dagCbor.encode({ ...dagCbor.decode<Record<string, unknown>>(genuine), seq: 6 }),
      await record(7, { sealedValue: new Uint8Array(900) }),
      await record(8, { signedAt: Date.now() - 10_000, validUntil: Date.now() - 1 }),
      await record(9, { signedAt: Date.now() + 3_600_000, validUntil: Date.now() + 7_200_000 })
    ]
    await expect(service(() => forged).resolve(NAME, READ_KEY)).rejects.toMatchObject({ name: 'NameNotFoundError' })
    expect((await service(() => [...forged, genuine]).resolve(NAME, READ_KEY)).sequence).toBe(5)
  })

  it('refuses a replayed older version once it has seen a newer one', async () => {
    let values = [await record(4)]
    const names = service(() => values)
    expect((await names.resolve(NAME, READ_KEY)).sequence).toBe(4)
    values = [await record(2)]
    await expect(names.resolve(NAME, READ_KEY)).rejects.toMatchObject({ name: 'InvalidNameRecordError', message: expect.stringMatching(/seen version 4/) })
  })

  it('refuses a key that does not open the record', async () => {
    const r = await record(1)
    await expect(service(() => [r]).resolve(NAME, new Uint8Array(32).fill(9))).rejects.toMatchObject({ name: 'InvalidNameRecordError' })
  })
})

describe('the DHT\'s validator and selector for /veil/', () => {
  it('refuses a forged record and one older than the newest seen, and picks the newest', async () => {
    const key = await nameDhtKey(PUBLIC_KEY)
    const validate = nameRecordValidator(new SeenSequences())
    const [r1, r2] = [await record(1), await record(2)]
    await validate(key, r2)
    await expect(validate(key, r1)).rejects.toMatchObject({ name: 'InvalidNameRecordError', message: expect.stringMatching(/newer one/) })
    await validate(key, r2) // the same again is fine (a node re-checks what it holds)
    await expect(validate(key, dagCbor.encode({ ...dagCbor.decode<Record<string, unknown>>(r2), seq: 3 }))).rejects.toMatchObject({ message: expect.stringMatching(/signature/) })
    await expect(validate(await nameDhtKey(new Uint8Array(32)), r2)).rejects.toMatchObject({ message: expect.stringMatching(/another name/) })
    expect(nameRecordSelector(key, [r1, r2, new Uint8Array([1])])).toBe(1)
  })

  it('remembers a bounded number of names', () => {
    const seen = new SeenSequences(3)
    for (let i = 0; i < 10; i++) seen.note(Uint8Array.of(i), { sequence: 1, validUntil: 1, bytes: new Uint8Array(0) })
    expect(seen.size).toBe(3)
  })
})

describe('the publisher\'s node keeps its records alive', () => {
  it('re-signs a record past half its validity (same sequence and value, a new validity), puts it into the DHT and pushes it to the share\'s holders and the storage nodes near the name', async () => {
    const keys = new KeyStore(await tempDir())
    const puts: Uint8Array[] = []
    const pushed: string[] = []
    const holder = peerIdFromString('12D3KooWHFrmLWTTDD4NodngtRMEVYgxrsDTDvWc7N4U8JF8TpUw')
    const near = peerIdFromString('12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK')
    const make = (validityMs: number): NameService => new NameService({
      dht: { get: async function * () {}, put: async function * (_key: Uint8Array, value: Uint8Array) { puts.push(value) } } as unknown as KadDHT,
      seen: new SeenSequences(),
      self: SELF,
      keys,
      pushName: async (peer) => { pushed.push(peer.toString()); return { ok: true } },
      findHolders: async function * () { yield { id: holder, multiaddrs: [] } },
      storagePeers: async () => [near],
      logger: defaultLogger()
    }, { validityMs })
    const published = await make(2_000).publish('doc', { root: ROOT, key: new Uint8Array(32).fill(1) }, { holders: [holder] })
    expect(published.sequence).toBe(1)
    expect(pushed.sort()).toEqual([holder.toString(), near.toString()].sort())
    const first = decodeNameRecord((await keys.require('doc')).record!)
    pushed.length = 0
    puts.length = 0
    // A node with the default 7-day validity finds 2 s left: past half, so it re-signs.
    const result = await make(7 * 86_400_000).republish()
    expect(result.own).toBe(1)
    const second = decodeNameRecord((await keys.require('doc')).record!)
    expect(second.sequence).toBe(1)
    expect(second.sealedValue).toEqual(first.sealedValue)
    expect(second.validUntil).toBeGreaterThan(first.validUntil + 86_400_000)
    expect(puts).toHaveLength(1)
    expect(puts[0]).toEqual(second.bytes)
    expect(pushed.sort()).toEqual([holder.toString(), near.toString()].sort())
  })
})
