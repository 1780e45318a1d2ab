import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { encodeRoot, decodeRoot, openRoot, openRootAsync, rawCid, checkNotExpired, type ShareMeta } from '../../../src/format/index.js'
import { importBytes, importFolder, exportShare, MemoryBlockStore } from '../../../src/index.js'
import { openShare } from '../../../src/exporter/index.js'
import { tempDir, exists } from '../../helpers/files.js'
import { mkdir, writeFile } from 'node:fs/promises'

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1)
const BLOCKS = [rawCid(Uint8Array.of(1)), rawCid(Uint8Array.of(2)), rawCid(Uint8Array.of(3))]
const META: ShareMeta = { kind: 'file', name: 'report.pdf', size: 2 * 65536 + 7, mediaType: 'application/pdf', padding: 'padme' }

describe('an expiry in the sealed metadata', () => {
  it('has a fixed encoding, sealed (a change here is a format change); a share without one is unchanged', async () => {
    const root = encodeRoot({ fileKey: KEY, blockSize: 65536, blockCount: 3, height: 0, children: BLOCKS, meta: { ...META, expires: 1_900_000_000_000 } })
    expect(root.cid.toString()).toBe('bafyreiaqbxnb4v2w6ramoc4q7ip5th3tgfoel3ba2k6pmvtao2korckxje')
    const decoded = decodeRoot(root.bytes)
    expect(openRoot(decoded, KEY)).toEqual({ ...META, expires: 1_900_000_000_000 })
    expect(await openRootAsync(decoded, KEY)).toEqual({ ...META, expires: 1_900_000_000_000 })
    const plain = encodeRoot({ fileKey: KEY, blockSize: 65536, blockCount: 3, height: 0, children: BLOCKS, meta: META })
    expect(openRoot(decodeRoot(plain.bytes), KEY)).toEqual(META)
  })

  it('is refused once passed (ShareExpiredError), by the exporter (the page calls the same check)', async () => {
    expect(() => checkNotExpired({ ...META, expires: 1000 }, 1000)).toThrow(expect.objectContaining({ name: 'ShareExpiredError' }))
    expect(checkNotExpired({ ...META, expires: 1000 }, 999).expires).toBe(1000)
    const store = new MemoryBlockStore()
    const expired = await importBytes(new TextEncoder().encode('gone'), store, { name: 'a.txt', expires: Date.now() - 1 })
    await expect(openShare({ cid: expired.cid, key: expired.key }, store)).rejects.toMatchObject({ name: 'ShareExpiredError' })
    const out = join(await tempDir(), 'a.txt')
    await expect(exportShare({ cid: expired.cid, key: expired.key }, store, { output: out })).rejects.toMatchObject({ name: 'ShareExpiredError' })
    expect(await exists(out)).toBe(false)
    const later = await importBytes(new TextEncoder().encode('here'), store, { name: 'b.txt', expires: Date.now() + 60_000 })
    expect((await openShare({ cid: later.cid, key: later.key }, store)).meta.expires).toBeGreaterThan(Date.now())
  })

  it('is given to every entry of a folder, and cannot be combined with convergent keys', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'f'))
    await writeFile(join(dir, 'f', 'x.txt'), 'x')
    const store = new MemoryBlockStore()
    const expires = Date.now() + 60_000
    const folder = await importFolder(join(dir, 'f'), store, { expires })
    expect((await openShare({ cid: folder.cid, key: folder.key }, store)).meta.expires).toBe(expires)
    await expect(importBytes(new Uint8Array(3), store, { name: 'c', expires, convergenceSecret: new Uint8Array(32) })).rejects.toMatchObject({ name: 'InvalidOptionError' })
  })
})
