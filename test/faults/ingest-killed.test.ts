/**
 * Fault: a storage node SIGKILLed while it takes in pushed blocks. Every
 * block it acknowledged must be on its disk and intact after the crash, no
 * partial block may be readable, and the restarted node serves them.
 */
import { describe, it, expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { CID } from 'multiformats/cid'
import { startNode } from '../helpers/swarm.js'
import { tempDir } from '../helpers/files.js'
import { spawnNode, openStoreOf } from '../helpers/processes.js'
import { rawCid } from '../../src/format/cid.js'

function randomBlock (): { cid: CID, bytes: Uint8Array } {
  const bytes = new Uint8Array(randomBytes(256 * 1024))
  return { cid: rawCid(bytes), bytes }
}

describe('fault: a storage node killed during ingest', () => {
  it('keeps every block it acknowledged, and no partial block is readable after restart', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'storage')
    // A long orphan grace: these raw blocks have no unit node, and must still be there to inspect.
    const first = await spawnNode(repo, { storage: 1024 ** 3, orphanGraceMs: 3_600_000 })
    const client = await startNode({ bootstrap: [first.addr] })

    const acknowledged: CID[] = []
    let inFlight: Promise<unknown> | undefined
    for (let batch = 0; batch < 40; batch++) {
      const blocks = Array.from({ length: 4 }, randomBlock)
      // Raw blocks with no unit node: each PUT names its first block as the unit.
      const push = client.exchange.push(first.peerId, { unit: blocks[0]!.cid, blocks })
      if (batch === 30) {
        // Kill it while this push is on the wire.
        inFlight = push.catch(() => undefined)
        await first.kill()
        break
      }
      const reply = await push
      if (reply.admitted) for (const outcome of reply.outcomes) if (outcome.ok) acknowledged.push(outcome.cid)
    }
    await inFlight
    expect(acknowledged.length).toBe(30 * 4)

    // Reopen its store directly: every acknowledged block is there and intact,
    // and every block the store lists reads back verified (nothing partial).
    const store = await openStoreOf(repo)
    try {
      for (const cid of acknowledged) expect((await store.get(cid)).length).toBe(256 * 1024)
      let listed = 0
      for await (const cid of store.cids()) {
        await store.get(cid) // throws BlockCorruptError on a partial block
        listed++
      }
      expect(listed).toBeGreaterThanOrEqual(acknowledged.length)
    } finally {
      await store.close()
    }

    // And the restarted node serves them.
    const second = await spawnNode(repo, { storage: 1024 ** 3, orphanGraceMs: 3_600_000 })
    const again = await startNode({ bootstrap: [second.addr] })
    const sample = acknowledged.slice(-8)
    let served = 0
    for await (const result of again.exchange.want(second.peerId, sample)) if (result.bytes !== undefined) served++
    expect(served).toBe(sample.length)
  }, 60_000)
})
