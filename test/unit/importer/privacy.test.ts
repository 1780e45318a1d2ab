import { describe, it, expect, afterEach } from 'vitest'
import { join } from 'node:path'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { enable, disable } from '@libp2p/logger'
import { importFile, exportShare, formatLink, MemoryBlockStore, openBlockStore, type BlockStore } from '../../../src/index.js'
import { decodeRoot } from '../../../src/format/index.js'
import { tempDir, writeRandomFile } from '../../helpers/files.js'

async function allCids (store: BlockStore): Promise<Set<string>> {
  const out = new Set<string>()
  for await (const cid of store.cids()) out.add(cid.toString())
  return out
}

function overlap (a: Set<string>, b: Set<string>): number {
  return [...a].filter(x => b.has(x)).length
}

describe('key modes', () => {
  it('default mode: the same file shared twice gives unrelated roots and blocks', async () => {
    const dir = await tempDir()
    const input = join(dir, 'same.bin')
    await writeRandomFile(input, 300 * 1024)
    const a = new MemoryBlockStore()
    const b = new MemoryBlockStore()
    const first = await importFile(input, a, { blockSize: 65536 })
    const second = await importFile(input, b, { blockSize: 65536 })
    expect(first.cid.equals(second.cid)).toBe(false)
    expect(Buffer.from(first.key).equals(Buffer.from(second.key))).toBe(false)
    expect(overlap(await allCids(a), await allCids(b))).toBe(0)
  })

  it('convergent mode: identical with the same secret, unrelated with another', async () => {
    const dir = await tempDir()
    const input = join(dir, 'same.bin')
    await writeRandomFile(input, 300 * 1024)
    const secret = new Uint8Array(32).fill(1)
    const other = new Uint8Array(32).fill(2)
    const [a, b, c] = [new MemoryBlockStore(), new MemoryBlockStore(), new MemoryBlockStore()]
    const first = await importFile(input, a, { blockSize: 65536, convergenceSecret: secret })
    const second = await importFile(input, b, { blockSize: 65536, convergenceSecret: secret })
    const third = await importFile(input, c, { blockSize: 65536, convergenceSecret: other })
    expect(first.cid.equals(second.cid)).toBe(true)
    expect(first.key).toEqual(second.key)
    expect(await allCids(a)).toEqual(await allCids(b))
    expect(third.cid.equals(first.cid)).toBe(false)
    expect(overlap(await allCids(a), await allCids(c))).toBe(0)
  })

  it('convergent mode under another name: same content blocks, different root, both readable', async () => {
    const dir = await tempDir()
    const input = join(dir, 'same.bin')
    await writeRandomFile(input, 200 * 1024)
    const secret = new Uint8Array(32).fill(1)
    const store = new MemoryBlockStore()
    const first = await importFile(input, store, { blockSize: 65536, convergenceSecret: secret })
    const renamed = await importFile(input, store, { blockSize: 65536, convergenceSecret: secret, name: 'renamed.bin' })
    expect(renamed.cid.equals(first.cid)).toBe(false)
    const blocksA = decodeRoot(await store.get(first.cid)).children.map(String)
    const blocksB = decodeRoot(await store.get(renamed.cid)).children.map(String)
    expect(blocksB).toEqual(blocksA)
    // Different metadata under the same manifest key must use different nonces.
    expect(Buffer.from(decodeRoot(await store.get(first.cid)).metaNonce).equals(Buffer.from(decodeRoot(await store.get(renamed.cid)).metaNonce))).toBe(false)
    const out = join(dir, 'renamed-out.bin')
    const result = await exportShare({ cid: renamed.cid, key: renamed.key }, store, { output: out })
    expect(result.name).toBe('renamed.bin')
  })
})

describe('nothing secret reaches storage or logs', () => {
  const writes: string[] = []
  const originalWrite = process.stderr.write.bind(process.stderr)

  afterEach(() => {
    process.stderr.write = originalWrite
    disable()
  })

  it('stored bytes and every log line hold no key, fragment, plaintext or name', async () => {
    const dir = await tempDir()
    const marker = new TextEncoder().encode('VEIL-PLAINTEXT-MARKER-0123456789')
    const name = 'secret-name-of-the-file.txt'
    const input = join(dir, name)
    await writeRandomFile(input, 3 * 1024 * 1024 + 5, marker)
    await writeFile(join(dir, 'small.txt'), 'VEIL-PLAINTEXT-MARKER-0123456789 in a small file')

    enable('veil*,libp2p*')
    process.stderr.write = ((chunk: string | Uint8Array, ..._rest: unknown[]) => {
      writes.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
      return true
    }) as typeof process.stderr.write

    const storePath = join(dir, 'store')
    const store = await openBlockStore({ path: storePath })
    const shared = await importFile(input, store, { blockSize: 65536 })
    const small = await importFile(join(dir, 'small.txt'), store)
    const link = formatLink({ cid: shared.cid, key: shared.key })
    await exportShare(link, store, { output: join(dir, 'out.bin') })
    await exportShare({ cid: small.cid, key: small.key }, store, { output: join(dir, 'small-out.txt') })
    // A failing fetch logs too: use a wrong key and a damaged share.
    await exportShare({ cid: shared.cid, key: small.key }, store, { output: join(dir, 'x') }).catch(() => {})
    await store.close()
    process.stderr.write = originalWrite

    const secrets = [
      Buffer.from(marker),
      Buffer.from(shared.key), Buffer.from(small.key),
      Buffer.from(link.split('#')[1]!),
      Buffer.from(Buffer.from(shared.key).toString('hex')),
      Buffer.from(name)
    ]
    // Raw bytes of every file the store wrote (block files, LevelDB index, logs, manifests).
    const files = (await readdir(storePath, { recursive: true, withFileTypes: true }))
      .filter(entry => entry.isFile())
      .map(entry => join(entry.parentPath, entry.name))
    expect(files.length).toBeGreaterThan(10)
    let rawBytes = 0
    for (const file of files) {
      const bytes = await readFile(file)
      rawBytes += bytes.length
      for (const secret of secrets) expect(bytes.includes(secret), `${file} holds a secret`).toBe(false)
    }
    expect(rawBytes).toBeGreaterThan(3 * 1024 * 1024)

    const logs = writes.join('')
    expect(logs).toContain('veil:import')
    expect(logs).toContain('veil:export')
    for (const secret of secrets) expect(logs.includes(secret.toString('utf8'))).toBe(false)
  })
})
