/**
 * Fault: a holder SIGKILLed while a fetch reads from it. The fetch must
 * finish from the other holders, byte-identical, and say how many blocks
 * each holder served.
 */
import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { startNode, addressOf } from '../helpers/swarm.js'
import { tempDir, writeRandomFile, sha256File } from '../helpers/files.js'
import { spawnNode, type NodeProcess } from '../helpers/processes.js'
import { seededRandom } from '../helpers/seeded.js'

const MiB = 1024 * 1024

describe('fault: a holder killed mid-fetch', () => {
  it('finishes a 32 MiB fetch from the other holders, byte-identical, after a seeded SIGKILL of one', async () => {
    const random = seededRandom(0xf37c4)
    const dir = await tempDir()
    const bootstrap = await startNode()
    const holders: NodeProcess[] = []
    for (let i = 0; i < 3; i++) holders.push(await spawnNode(join(dir, `h${i}`), { storage: 1024 ** 3, bootstrap: addressOf(bootstrap) }))
    const light = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
    const path = join(dir, 'file.bin')
    const digest = await writeRandomFile(path, 32 * MiB)
    const shared = await light.share(path, { replicas: 3, keepLocal: false })
    expect(shared.replicas, shared.placementFailures.join("; ")).toBe(3)

    const fetcher = await startNode({ bootstrap: [addressOf(bootstrap)], dhtServer: false })
    const killAfter = 4 + Math.floor(random() * 12) // blocks received before the kill
    const victim = holders[Math.floor(random() * holders.length)]!
    let killed: Promise<void> | undefined
    const started = Date.now()
    const result = await fetcher.get(shared.link, {
      output: join(dir, 'out.bin'),
      onProgress: (event) => {
        if (event.type === 'veil:export:block' && killed === undefined && (event.detail as { index: number }).index >= killAfter) killed = victim.kill()
      }
    })
    await killed
    const figures = { killAfter, victim: victim.peerId.toString(), ms: Date.now() - started, perPeer: Object.fromEntries(result.perPeer) }
    console.log('holder killed mid-fetch:', JSON.stringify(figures))
    expect(killed).toBeDefined()
    expect(await sha256File(join(dir, 'out.bin'))).toBe(digest)
    // The others served what the victim could not.
    const others = holders.filter(h => h !== victim).reduce((sum, h) => sum + (result.perPeer.get(h.peerId.toString()) ?? 0), 0)
    expect(others).toBeGreaterThanOrEqual(32 - (result.perPeer.get(victim.peerId.toString()) ?? 0))
  }, 120_000)
})
