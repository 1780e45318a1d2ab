import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { mkdir, writeFile } from 'node:fs/promises'
import { startSwarm, startNode, addressOf } from '../helpers/swarm.js'
import { tempDir, writeRandomFile, sha256File, treeDigest } from '../helpers/files.js'

const MiB = 1024 * 1024

describe('share on one node, fetch by link on another', () => {
  it('fetches with hashing and decryption on worker threads too', async () => {
    const [a, b] = await startSwarm(2)
    const e = await startNode({ bootstrap: [addressOf(a!)], fetchCrypto: 'workers', cryptoThreads: 2 })
    const dir = await tempDir()
    const digest = await writeRandomFile(join(dir, 'in.bin'), 3 * MiB + 5)
    const shared = await b!.share(join(dir, 'in.bin'))
    await e.get(shared.link, { output: join(dir, 'out.bin') })
    expect(await sha256File(join(dir, 'out.bin'))).toBe(digest)
  }, 60_000)

  it('5 nodes: E, which only knows the bootstrap node, fetches files of 0 B, 1 B, 5 MiB, 40 MiB and a folder that A shared', async () => {
    // B is the bootstrap node; A, C, D and E know only B.
    const [, a, , , e] = await startSwarm(5)
    const dir = await tempDir()
    const files: Array<[string, number]> = [['empty.bin', 0], ['one.bin', 1], ['five.bin', 5 * MiB], ['forty.bin', 40 * MiB]]
    const links: Array<{ name: string, link: string, digest: string }> = []
    for (const [name, size] of files) {
      const path = join(dir, name)
      const digest = await writeRandomFile(path, size)
      const shared = await a!.share(path)
      expect(shared.announceFailures).toBe(0)
      links.push({ name, link: shared.link, digest })
    }
    const folder = join(dir, 'album')
    await mkdir(join(folder, 'inner'), { recursive: true })
    await writeFile(join(folder, 'empty.txt'), '')
    await writeRandomFile(join(folder, 'inner', 'photo.bin'), 300 * 1024)
    const sharedFolder = await a!.share(folder)

    const out = join(dir, 'out')
    await mkdir(out)
    for (const { name, link, digest } of links) {
      const result = await e!.get(link, { output: join(out, name) })
      expect(await sha256File(join(out, name)), name).toBe(digest)
      expect(result.perPeer.get(a!.peerId.toString()) ?? 0).toBe(result.blocksFetched)
    }
    await e!.get(sharedFolder.link, { output: join(out, 'album') })
    expect(await treeDigest(join(out, 'album'))).toEqual(await treeDigest(folder))
  }, 120_000)
})
