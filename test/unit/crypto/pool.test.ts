import { describe, it, expect, afterEach } from 'vitest'
import { CryptoPool, sealBlock, sha256 } from '../../../src/crypto/index.js'

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i)

describe('CryptoPool', () => {
  let pool: CryptoPool
  afterEach(async () => { await pool.close() })

  it('hashes on a worker and hands the same bytes back', async () => {
    pool = new CryptoPool({ threads: 2 })
    const bytes = new Uint8Array(200_000).map((_, i) => i * 7)
    const expected = sha256(bytes)
    const copy = bytes.slice()
    const { bytes: back, digest } = await pool.hash(copy)
    expect(copy.byteLength).toBe(0) // transferred, not copied
    expect(digest).toEqual(expected)
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true)
  })

  it('opens at the right position and reports failures as undefined', async () => {
    pool = new CryptoPool({ threads: 1 })
    const plain = new Uint8Array(70_000).fill(5)
    const sealed = sealBlock(KEY, 4, true, plain)
    expect(await pool.open(KEY, 4, true, sealed.slice())).toEqual(plain)
    expect(await pool.open(KEY, 4, false, sealed.slice())).toBeUndefined()
    expect(await pool.open(KEY, 5, true, sealed.slice())).toBeUndefined()
    expect(await pool.open(KEY, 4, true, new Uint8Array(3))).toBeUndefined()
  })

  it('copies a view into a larger buffer instead of detaching it', async () => {
    pool = new CryptoPool({ threads: 1 })
    const backing = new Uint8Array(4096).fill(1)
    const view = backing.subarray(100, 200)
    await pool.hash(view)
    expect(view.byteLength).toBe(100)
  })

  it('refuses work after close, and close settles with idle workers', async () => {
    pool = new CryptoPool({ threads: 2 })
    await pool.close()
    await expect(pool.hash(new Uint8Array(1))).rejects.toMatchObject({ name: 'CryptoPoolError' })
  })
})
