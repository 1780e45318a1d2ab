/**
 * Fault: bit rot. Blocks flipped on a storage node's disk are found by its
 * scrub (exactly the flipped ones), deleted and fetched again from another
 * holder, and every share then fetches byte-identical.
 */
import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import type { CID } from 'multiformats/cid'
import { BlockFiles } from '../../src/blockstore/block-files.js'
import type { LevelBlockStore } from '../../src/blockstore/index.js'
import { startNode, addressOf } from '../helpers/swarm.js'
import { startStorageNodes } from '../helpers/storage.js'
import { tempDir, writeRandomFile, sha256File } from '../helpers/files.js'
import type { VeilNode } from '../../src/node/index.js'

const KiB = 1024
const MiB = 1024 * KiB

interface Shared { name: string, link: string, digest: string, root: CID }

async function fetchAll (bootstrap: VeilNode, shares: Shared[], dir: string): Promise<number> {
  const client = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
  const out = join(dir, 'out')
  await mkdir(out, { recursive: true })
  let ok = 0
  for (const share of shares) {
    await client.get(share.link, { output: join(out, share.name) })
    if (await sha256File(join(out, share.name)) === share.digest) ok++
  }
  await client.stop()
  return ok
}

describe('fault: bit rot', () => {
  it('scrub finds every block flipped on disk (1%), refetches it, and every file then fetches byte-identical', async () => {
    const dir = await tempDir()
    const bootstrap = await startNode()
    const storage = await startStorageNodes(4, dir, bootstrap)
    const light = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
    const shares: Shared[] = []
    for (let i = 0; i < 5; i++) {
      const name = `f${i}.bin`
      const digest = await writeRandomFile(join(dir, name), 2 * MiB + i)
      const result = await light.share(join(dir, name), { replicas: 3, keepLocal: false, blockSize: 64 * KiB })
      shares.push({ name, link: result.link, digest, root: result.cid })
    }
    await light.stop()

    // The node holding the most blocks loses 1% of them to bit rot.
    const sizes = await Promise.all(storage.map(async node => (await node.store.size()).blocks))
    const victim = storage[sizes.indexOf(Math.max(...sizes))]!
    const raw: CID[] = []
    for await (const cid of victim.store.cids()) if (cid.code === 0x55) raw.push(cid)
    const flips = raw.slice(0, Math.max(2, Math.ceil(raw.length / 100)))
    const files = new BlockFiles(join((victim.store as LevelBlockStore).path, 'blocks'))
    for (const cid of flips) {
      const path = files.pathOf(cid)
      const bytes = await readFile(path)
      bytes[bytes.length >> 1]! ^= 0x20
      await writeFile(path, bytes)
    }

    const result = await victim.storage!.scrub()
    expect(result.corrupt).toBe(flips.length)
    expect(result.refetched).toBe(flips.length)
    for (const cid of flips) expect((await victim.store.get(cid)).length).toBeGreaterThan(0)
    expect((await victim.storage!.scrub()).corrupt).toBe(0)
    expect(await fetchAll(bootstrap, shares, dir)).toBe(5)
  }, 120_000)

})
