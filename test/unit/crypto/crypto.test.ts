import { describe, it, expect } from 'vitest'
import { createHash } from 'node:crypto'
import {
  commitmentMatches, convergentFileKey, deriveSubkeys, generateFileKey, openBlock, padme, paddedLength,
  sealBlock, streamNonce, MIN_PADDED_SIZE
} from '../../../src/crypto/index.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
const LINK_KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1)
const BLOCK_KEY = Uint8Array.from({ length: 32 }, (_, i) => i)

// Vectors computed independently with Python's `cryptography` (AESGCM, HKDF)
// and hmac/hashlib; a change here is a format change.
describe('crypto vectors', () => {
  it('STREAM nonce: 11-byte big-endian index ‖ last flag', () => {
    expect(hex(streamNonce(5, false))).toBe('000000000000000000000500')
    expect(hex(streamNonce(2 ** 40 + 3, true))).toBe('000000000001000000000301')
  })

  it('seals a block with AES-256-GCM under the STREAM nonce', () => {
    expect(hex(sealBlock(BLOCK_KEY, 5, false, utf8('veil sealed block vector'))))
      .toBe('efff6c7f3499462ff1b456b54debd6df5934116991a8e6c9ba49e5024fd28dc2e2894161194e0660')
    expect(hex(sealBlock(BLOCK_KEY, 2 ** 40 + 3, true, new Uint8Array(0)))).toBe('7b35eb242d9e172f4b1f08a176ad5ba6')
  })

  it('derives HKDF-SHA256 subkeys', () => {
    const keys = deriveSubkeys(LINK_KEY)
    expect(hex(keys.blockKey)).toBe('1bd7c43a6d09519ef2c910da4edc6a794ef729b27ed89c96ca7930c169a0a978')
    expect(hex(keys.manifestKey)).toBe('33581572f7affda271e797b9b93dfcea6238f57f9e039e7f43dc640e2a6d1973')
    expect(hex(keys.commitment)).toBe('6eda55e4bf6abed98258ca10364698649f047d8e17fc91d93e7fd89fd669292a')
  })

  it('derives convergent keys with HMAC over the secret, parameters and content hash', () => {
    const digest = new Uint8Array(createHash('sha256').update('hello').digest())
    const key = convergentFileKey(utf8('s'.repeat(16)), Uint8Array.from([0xa1, 0x61, 0x76, 0x01]), digest)
    expect(hex(key)).toBe('7fe1f721d96eb7af67405bca18dca17ab3e1091c00756b58d940f5804a25c691')
  })
})

describe('block sealing', () => {
  const plain = utf8('the quick brown fox')
  const sealed = sealBlock(BLOCK_KEY, 3, false, plain)

  it('opens only at the same position and flag, with the same key', () => {
    expect(openBlock(BLOCK_KEY, 3, false, sealed)).toEqual(plain)
    expect(openBlock(BLOCK_KEY, 4, false, sealed)).toBeUndefined()
    expect(openBlock(BLOCK_KEY, 3, true, sealed)).toBeUndefined()
    expect(openBlock(LINK_KEY, 3, false, sealed)).toBeUndefined()
  })

  it('rejects any flipped bit, in the ciphertext or in the tag', () => {
    for (const position of [0, plain.length - 1, plain.length, sealed.length - 1]) {
      const bad = sealed.slice()
      bad[position]! ^= 0x01
      expect(openBlock(BLOCK_KEY, 3, false, bad)).toBeUndefined()
    }
    expect(openBlock(BLOCK_KEY, 3, false, sealed.subarray(0, 10))).toBeUndefined()
  })

  it('rejects indexes outside the safe range', () => {
    expect(() => streamNonce(-1, false)).toThrow(RangeError)
    expect(() => streamNonce(1.5, false)).toThrow(RangeError)
  })
})

describe('keys', () => {
  it('generates distinct random 32-byte keys', () => {
    const a = generateFileKey()
    const b = generateFileKey()
    expect(a.length).toBe(32)
    expect(hex(a)).not.toBe(hex(b))
  })

  it('checks the key commitment', () => {
    const { commitment } = deriveSubkeys(LINK_KEY)
    expect(commitmentMatches(commitment, LINK_KEY)).toBe(true)
    expect(commitmentMatches(commitment, generateFileKey())).toBe(false)
  })

  it('scopes convergent keys by secret and parameters', () => {
    const digest = new Uint8Array(32).fill(9)
    const a = convergentFileKey(utf8('a'.repeat(16)), utf8('p1'), digest)
    expect(convergentFileKey(utf8('a'.repeat(16)), utf8('p1'), digest)).toEqual(a)
    expect(convergentFileKey(utf8('b'.repeat(16)), utf8('p1'), digest)).not.toEqual(a)
    expect(convergentFileKey(utf8('a'.repeat(16)), utf8('p2'), digest)).not.toEqual(a)
    expect(() => convergentFileKey(utf8('short'), utf8('p1'), digest)).toThrow(RangeError)
  })
})

describe('Padmé padding', () => {
  it('matches the reference values', () => {
    expect([0, 1, 2, 3, 9, 100, 1000, 1025, 4097, 1_000_000].map(padme)).toEqual([0, 1, 2, 3, 10, 104, 1024, 1088, 4352, 1015808])
    expect(padme(2 ** 30 + 1)).toBe(1107296256)
  })

  it('never adds more than 12%, never shrinks, and is idempotent', () => {
    for (let length = 2; length < 5_000_000; length = Math.ceil(length * 1.37) + 1) {
      const padded = padme(length)
      expect(padded).toBeGreaterThanOrEqual(length)
      expect((padded - length) / length).toBeLessThanOrEqual(0.12)
      expect(padme(padded)).toBe(padded)
    }
  })

  it('pads small shares to a common minimum', () => {
    expect(paddedLength(0, 'padme')).toBe(MIN_PADDED_SIZE)
    expect(paddedLength(900, 'padme')).toBe(MIN_PADDED_SIZE)
    expect(paddedLength(900, 'none')).toBe(900)
  })
})
