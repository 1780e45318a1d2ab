import { describe, it, expect } from 'vitest'
import { importAesKey, openBlockAsync, sealBlockAsync, sha256Async, sealBlock, sha256 } from '../../../src/crypto/index.js'

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i)

describe('off-thread crypto', () => {
  it('seals exactly as the inline code does (and as the fixed vector)', async () => {
    const key = await importAesKey(KEY)
    const plain = new TextEncoder().encode('veil sealed block vector')
    const sealed = await sealBlockAsync(key, 5, false, plain)
    expect(Buffer.from(sealed).toString('hex')).toBe('efff6c7f3499462ff1b456b54debd6df5934116991a8e6c9ba49e5024fd28dc2e2894161194e0660')
    const big = new Uint8Array(300_000).map((_, i) => i * 13)
    expect(Buffer.from(await sealBlockAsync(key, 2 ** 40 + 3, true, big)).equals(Buffer.from(sealBlock(KEY, 2 ** 40 + 3, true, big)))).toBe(true)
  })

  it('opens only at the same position and flag, and rejects altered bytes', async () => {
    const key = await importAesKey(KEY)
    const plain = new Uint8Array(5000).fill(7)
    const sealed = sealBlock(KEY, 2, false, plain)
    expect(await openBlockAsync(key, 2, false, sealed)).toEqual(plain)
    expect(await openBlockAsync(key, 3, false, sealed)).toBeUndefined()
    expect(await openBlockAsync(key, 2, true, sealed)).toBeUndefined()
    const flipped = sealed.slice()
    flipped[sealed.length - 1]! ^= 1
    expect(await openBlockAsync(key, 2, false, flipped)).toBeUndefined()
    expect(await openBlockAsync(key, 2, false, new Uint8Array(3))).toBeUndefined()
    const other = await importAesKey(new Uint8Array(32).fill(9))
    expect(await openBlockAsync(other, 2, false, sealed)).toBeUndefined()
  })

  it('hashes as node:crypto does', async () => {
    const bytes = new Uint8Array(70_000).map((_, i) => i)
    expect(await sha256Async(bytes)).toEqual(sha256(bytes))
  })
})
