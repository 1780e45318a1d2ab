import { describe, expect, it } from 'vitest'
import { BLOCK_META_V1_LENGTH, decodeBlockMeta, encodeBlockMeta } from '../../../src/blockstore/block-meta.js'

describe('block meta record', () => {
  it('encodes version 1 as a fixed 13-byte vector', () => {
    // 2025-01-01T00:00:00.000Z, a 1 MiB block.
    const bytes = encodeBlockMeta({ byteLength: 1_048_576, storedAt: 1_735_689_600_000 })
    expect(Buffer.from(bytes).toString('hex')).toBe('01' + '00100000' + '000001941f297c00')
    expect(bytes.byteLength).toBe(BLOCK_META_V1_LENGTH)
    expect(decodeBlockMeta(bytes)).toEqual({ byteLength: 1_048_576, storedAt: 1_735_689_600_000 })
  })

  it('round-trips the edges of each field', () => {
    for (const meta of [{ byteLength: 0, storedAt: 0 }, { byteLength: 0xffff_ffff, storedAt: Number.MAX_SAFE_INTEGER }]) {
      expect(decodeBlockMeta(encodeBlockMeta(meta))).toEqual(meta)
    }
  })

  it('reads the version-1 fields of a later version and ignores what follows', () => {
    const later = new Uint8Array(20)
    later.set(encodeBlockMeta({ byteLength: 42, storedAt: 1000 }))
    later[0] = 2
    later.fill(0xee, BLOCK_META_V1_LENGTH)
    expect(decodeBlockMeta(later)).toEqual({ byteLength: 42, storedAt: 1000 })
  })

  it('reads a record inside a larger buffer', () => {
    const record = encodeBlockMeta({ byteLength: 9, storedAt: 5 })
    const big = new Uint8Array(64)
    big.set(record, 30)
    expect(decodeBlockMeta(big.subarray(30, 30 + record.byteLength))).toEqual({ byteLength: 9, storedAt: 5 })
  })

  it('returns undefined for what is not a record', () => {
    expect(decodeBlockMeta(new Uint8Array(0))).toBeUndefined()
    expect(decodeBlockMeta(encodeBlockMeta({ byteLength: 1, storedAt: 1 }).subarray(0, 12))).toBeUndefined()
    const versionZero = encodeBlockMeta({ byteLength: 1, storedAt: 1 })
    versionZero[0] = 0
    expect(decodeBlockMeta(versionZero)).toBeUndefined()
    const tooLate = encodeBlockMeta({ byteLength: 1, storedAt: 1 })
    tooLate.fill(0xff, 5)
    expect(decodeBlockMeta(tooLate)).toBeUndefined()
  })

  it('refuses values that do not fit', () => {
    for (const meta of [{ byteLength: -1, storedAt: 0 }, { byteLength: 2 ** 32, storedAt: 0 }, { byteLength: 1.5, storedAt: 0 }, { byteLength: 1, storedAt: -1 }]) {
      expect(() => encodeBlockMeta(meta)).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    }
  })
})
