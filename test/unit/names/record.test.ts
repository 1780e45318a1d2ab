import { describe, it, expect } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { dagCborCid } from '../../../src/format/cid.js'
import { nameCidFromPublicKey } from '../../../src/link/index.js'
import {
  compareNameRecords, decodeNameRecord, encodeNameRecord, nameDhtKey, openNameValue, publicKeyFromSeed, sealNameValue, signNameRecord,
  signedBytes, verifyNameRecord, MAX_NAME_RECORD_SIZE, type NameRecordFields
} from '../../../src/names/index.js'

const SEED = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const PUBLIC_KEY = publicKeyFromSeed(SEED)
const READ_KEY = Uint8Array.from({ length: 32 }, (_, i) => 200 - i)
const SHARE_KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1)
const ROOT = dagCborCid(new TextEncoder().encode('veil link test vector'))
const NONCE = Uint8Array.from({ length: 12 }, (_, i) => i)
const T = 1_800_000_000_000
const DAY = 86_400_000
const NOW = T + 1000

async function fields (over: Partial<NameRecordFields> = {}): Promise<NameRecordFields> {
  return { publicKey: PUBLIC_KEY, sequence: 3, signedAt: T, validUntil: T + 7 * DAY, sealedValue: await sealNameValue(READ_KEY, PUBLIC_KEY, { root: ROOT, key: SHARE_KEY }, NONCE), ...over }
}

describe('name records: fixed vectors (a change here is a format change)', () => {
  it('derives the DHT key, seals the value and signs the record exactly', async () => {
    expect(Buffer.from(PUBLIC_KEY).toString('hex')).toBe('79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664')
    const dhtKey = await nameDhtKey(PUBLIC_KEY)
    expect(new TextDecoder().decode(dhtKey.subarray(0, 6))).toBe('/veil/')
    expect(Buffer.from(dhtKey.subarray(6)).toString('hex')).toBe('464d3a2c34f43089110ff16d9cbc8dcb913a73d5fef1a1ac8a90e1597a77225a')
    const record = signNameRecord(SEED, await fields())
    expect(Buffer.from(record).toString('hex')).toBe('a761741b000001a3185c500061760162706b582079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664636578701b000001a33c68d4006373657103637369675840f3b51f31a4d57c5e314a35a15db66ce056575f9d1f48bc7acd0821a754e1854664cf17116c496a5f0b2dca5e76647b790d55865c5356fbdc264a24615a33690f6376616c586f000102030405060708090a0bc84c4a5230f2c51a9eb268a4a1f708f69eda01b3bdc8cca7ed5da518961e9aa4596d854a7fdd415dc653e2fe0389bc84ef86a21762f39be32c74fe75bad68c98586630e8323c9c963223ba0992d0382b18205a9ab6950352ac042ddb5da41e5ab9f8fe')
    console.log(`name record: ${record.length} bytes`)
    const verified = await verifyNameRecord(record, { now: NOW, dhtKey, name: nameCidFromPublicKey(PUBLIC_KEY) })
    expect(verified).toMatchObject({ sequence: 3, signedAt: T, validUntil: T + 7 * DAY })
    const value = await openNameValue(READ_KEY, PUBLIC_KEY, verified.sealedValue)
    expect(value.root.equals(ROOT)).toBe(true)
    expect(value.key).toEqual(SHARE_KEY)
  })

  it('holds neither the root CID nor the share key in clear', async () => {
    const record = Buffer.from(signNameRecord(SEED, await fields()))
    expect(record.indexOf(Buffer.from(ROOT.bytes))).toBe(-1)
    expect(record.indexOf(Buffer.from(ROOT.multihash.digest))).toBe(-1)
    expect(record.indexOf(Buffer.from(SHARE_KEY))).toBe(-1)
    expect(record.indexOf(Buffer.from(READ_KEY))).toBe(-1)
  })
})

describe('name records: what every DHT node and reader refuses', () => {
  const refuse = async (bytes: Uint8Array, options = {}): Promise<string> => {
    try {
      await verifyNameRecord(bytes, { now: NOW, ...options })
      return 'accepted'
    } catch (err) {
      expect((err as Error).name).toBe('InvalidNameRecordError')
      return (err as Error).message
    }
  }

  it('a bad signature, or any altered field', async () => {
    const good = signNameRecord(SEED, await fields())
    const forged = encodeNameRecord(await fields({ sequence: 4 }), decodeNameRecord(good).signature)
    expect(await refuse(forged)).toMatch(/signature/)
    const otherSeed = new Uint8Array(32).fill(9)
    const wrongSigner = encodeNameRecord(await fields(), decodeNameRecord(signNameRecord(otherSeed, { ...await fields(), publicKey: publicKeyFromSeed(otherSeed) })).signature)
    expect(await refuse(wrongSigner)).toMatch(/signature/)
  })

  it('an oversized record or value, and non-canonical or foreign encodings', async () => {
    const big = dagCbor.encode({ ...dagCbor.decode<Record<string, unknown>>(signNameRecord(SEED, await fields())), val: new Uint8Array(MAX_NAME_RECORD_SIZE) })
    expect(await refuse(big)).toMatch(/over the 2048-byte limit/)
    expect(() => signNameRecord(SEED, { publicKey: PUBLIC_KEY, sequence: 1, signedAt: T, validUntil: T + DAY, sealedValue: new Uint8Array(2000) })).toThrow(RangeError)
    const bigValue = signNameRecord(SEED, { publicKey: PUBLIC_KEY, sequence: 1, signedAt: T, validUntil: T + DAY, sealedValue: new Uint8Array(600) })
    expect(await refuse(bigValue)).toMatch(/"val" must be 1–512 bytes/)
    const extra = dagCbor.encode({ ...dagCbor.decode<Record<string, unknown>>(signNameRecord(SEED, await fields())), x: 1 })
    expect(await refuse(extra)).toMatch(/fields/)
    expect(await refuse(new Uint8Array([0xff, 0x00]))).toMatch(/dag-cbor/)
    const v2 = dagCbor.encode({ ...dagCbor.decode<Record<string, unknown>>(signNameRecord(SEED, await fields())), v: 2 })
    expect(await refuse(v2)).toMatch(/version 2/)
  })

  it('expired, signed in the future, or claiming more than 7 days', async () => {
    expect(await refuse(signNameRecord(SEED, await fields({ validUntil: NOW - 1 })))).toMatch(/expired/)
    expect(await refuse(signNameRecord(SEED, await fields({ signedAt: NOW + 3_600_000, validUntil: NOW + 2 * DAY })))).toMatch(/future/)
    expect(await refuse(signNameRecord(SEED, await fields({ validUntil: T + 7 * DAY + 1 })))).toMatch(/longer than 7 days/)
  })

  it('a record found under another key, or given for another link', async () => {
    const record = signNameRecord(SEED, await fields())
    const other = publicKeyFromSeed(new Uint8Array(32).fill(3))
    expect(await refuse(record, { dhtKey: await nameDhtKey(other) })).toMatch(/another name's key/)
    expect(await refuse(record, { name: nameCidFromPublicKey(other) })).toMatch(/another link/)
  })

  it('a read key that does not open the value', async () => {
    const record = decodeNameRecord(signNameRecord(SEED, await fields()))
    await expect(openNameValue(new Uint8Array(32), PUBLIC_KEY, record.sealedValue)).rejects.toMatchObject({ name: 'InvalidNameRecordError' })
    // The value is bound to its public key: lifted into another name's record it does not open.
    await expect(openNameValue(READ_KEY, publicKeyFromSeed(new Uint8Array(32).fill(3)), record.sealedValue)).rejects.toMatchObject({ name: 'InvalidNameRecordError' })
  })

  it('signs over the label and every field but the signature', async () => {
    const f = await fields()
    expect(new TextDecoder().decode(signedBytes(f).subarray(0, 19))).toBe('veil/v1/name-record')
  })
})

describe('which record is newer', () => {
  it('orders by sequence, then validity, then bytes', async () => {
    const a = decodeNameRecord(signNameRecord(SEED, await fields({ sequence: 3 })))
    const b = decodeNameRecord(signNameRecord(SEED, await fields({ sequence: 4, validUntil: T + DAY })))
    const c = decodeNameRecord(signNameRecord(SEED, await fields({ sequence: 3, validUntil: T + 2 * DAY })))
    expect(compareNameRecords(b, a)).toBeGreaterThan(0)
    expect(compareNameRecords(a, c)).toBeGreaterThan(0)
    expect(compareNameRecords(a, a)).toBe(0)
  })
})
