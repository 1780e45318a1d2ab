import { describe, it, expect, onTestFinished } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { access } from 'node:fs/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import type { CID } from 'multiformats/cid'
import { startNode } from '../helpers/swarm.js'
import { tempDir } from '../helpers/files.js'
import { rawCid } from '../../src/format/cid.js'
import { LevelBlockStore } from '../../src/blockstore/index.js'

const NODE_SCRIPT = join(import.meta.dirname, '../../dist/scripts/testnet/node.js')

/** Start a storage node in its own process; resolves with its address once it is listening. */
async function storageProcess (repo: string): Promise<{ child: ChildProcess, addr: string, peerId: string }> {
  await access(NODE_SCRIPT).catch(() => { throw new Error('dist/ is missing: run `npm run build` (npm test does it first)') })
  const child = spawn(process.execPath, [NODE_SCRIPT, '--repo', repo, '--storage', String(1024 ** 3)], { stdio: ['ignore', 'pipe', 'inherit'] })
  onTestFinished(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve)
    child.once('exit', code => { reject(new Error(`storage node exited early (${code})`)) })
  })
  const ready = JSON.parse(line) as { addr: string, peerId: string }
  return { child, ...ready }
}

function randomBlock (): { cid: CID, bytes: Uint8Array } {
  const bytes = new Uint8Array(randomBytes(256 * 1024))
  return { cid: rawCid(bytes), bytes }
}

describe('a storage node killed mid-push', () => {
  it('keeps every block it acknowledged, and no partial block is readable after restart', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'storage')
    const first = await storageProcess(repo)
    const client = await startNode({ bootstrap: [first.addr] })
    const peer = peerIdFromString(first.peerId)

    const acknowledged: CID[] = []
    let inFlight: Promise<unknown> | undefined
    for (let batch = 0; batch < 40; batch++) {
      const blocks = Array.from({ length: 4 }, randomBlock)
      // Raw blocks with no unit node: each PUT names its first block as the unit.
      const push = client.exchange.push(peer, { unit: blocks[0]!.cid, blocks })
      if (batch === 30) {
        // Kill it while this push is on the wire.
        inFlight = push.catch(() => undefined)
        first.child.kill('SIGKILL')
        break
      }
      const reply = await push
      if (reply.admitted) for (const outcome of reply.outcomes) if (outcome.ok) acknowledged.push(outcome.cid)
    }
    await inFlight
    await new Promise(resolve => { if (first.child.exitCode !== null || first.child.signalCode !== null) resolve(undefined); else first.child.once('exit', resolve) })
    expect(acknowledged.length).toBe(30 * 4)

    // Reopen its store directly: every acknowledged block is there and intact,
    // and every block the store lists reads back verified (nothing partial).
    const store = await LevelBlockStore.open(join(repo, 'store'))
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
    const second = await storageProcess(repo)
    const again = await startNode({ bootstrap: [second.addr] })
    const sample = acknowledged.slice(-8)
    let served = 0
    for await (const result of again.exchange.want(peerIdFromString(second.peerId), sample)) if (result.bytes !== undefined) served++
    expect(served).toBe(sample.length)
    second.child.kill('SIGTERM')
  }, 60_000)
})
