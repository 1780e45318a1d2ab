import { describe, it, expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import { encodeRoot, decodeRoot, openRoot, rawCid, type ShareMeta } from '../../../src/format/index.js'
import { openRootAsync, verifyBlockAsync, digestMatches } from '../../../src/format/portable.js'
import { deriveSubkeys, sealBlock, sha256 } from '../../../src/crypto/index.js'
import { deriveSubkeysAsync, importAesKey, openBlockAsync } from '../../../src/crypto/portable.js'

/*
 * The portable (WebCrypto) paths the gateway page runs give the same results,
 * and fail in the same ways, as the node:crypto paths the CLI runs.
 */

const META: ShareMeta = { kind: 'file', name: 'report.pdf', size: 2 * 65536 + 7, mediaType: 'application/pdf', padding: 'padme' }
const BLOCKS = [rawCid(Uint8Array.of(1)), rawCid(Uint8Array.of(2)), rawCid(Uint8Array.of(3))]

describe('portable format and crypto', () => {
  it('derives the same subkeys with WebCrypto HKDF as with node:crypto', async () => {
    for (let i = 0; i < 8; i++) {
      const key = new Uint8Array(randomBytes(32))
      expect(await deriveSubkeysAsync(key)).toEqual(deriveSubkeys(key))
    }
    await expect(deriveSubkeysAsync(new Uint8Array(31))).rejects.toThrow(RangeError)
  })

  it('opens a root as openRoot does, and fails the same way on a wrong key or an altered root', async () => {
    const key = new Uint8Array(randomBytes(32))
    const { bytes } = encodeRoot({ fileKey: key, blockSize: 65536, blockCount: 3, height: 0, children: BLOCKS, meta: META })
    const root = decodeRoot(bytes)
    expect(await openRootAsync(root, key)).toEqual(openRoot(root, key))
    const wrong = new Uint8Array(randomBytes(32))
    await expect(openRootAsync(root, wrong)).rejects.toHaveProperty('name', 'KeyMismatchError')
    const altered = { ...root, sealedMeta: root.sealedMeta.slice() }
    altered.sealedMeta[5]! ^= 1
    await expect(openRootAsync(altered, key)).rejects.toHaveProperty('name', 'InvalidManifestError')
    expect(() => openRoot(altered, key)).toThrow(expect.objectContaining({ name: 'InvalidManifestError' }))
  })

  it('opens a sealed block and checks its CID with WebCrypto', async () => {
    const key = new Uint8Array(randomBytes(32))
    const plain = new Uint8Array(randomBytes(65536))
    const sealed = sealBlock(deriveSubkeys(key).blockKey, 4, true, plain)
    const aes = await importAesKey((await deriveSubkeysAsync(key)).blockKey)
    expect(await openBlockAsync(aes, 4, true, sealed)).toEqual(plain)
    expect(await openBlockAsync(aes, 4, false, sealed)).toBeUndefined()
    expect(await openBlockAsync(aes, 3, true, sealed)).toBeUndefined()
    const cid = rawCid(sealed)
    await verifyBlockAsync(cid, sealed)
    expect(digestMatches(cid, sha256(sealed))).toBe(true)
    const flipped = sealed.slice()
    flipped[100]! ^= 0x80
    await expect(verifyBlockAsync(cid, flipped)).rejects.toHaveProperty('name', 'BlockHashMismatchError')
  })
})
