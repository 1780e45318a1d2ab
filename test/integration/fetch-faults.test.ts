import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { CID } from 'multiformats/cid'
import { startNode, startSwarm, addressOf } from '../helpers/swarm.js'
import { LyingStore } from '../helpers/lying-store.js'
import { tempDir, writeRandomFile, sha256File, exists } from '../helpers/files.js'
import { formatLink, parseShareLink } from '../../src/link/index.js'
import { encodeRoot } from '../../src/format/index.js'
import type { ExportProgressEvents } from '../../src/index.js'

const MiB = 1024 * 1024

describe('fetching through faults', () => {
  it('finishes from the other holder when one holder stops mid-fetch', async () => {
    const [, a, c, e] = await startSwarm(4)
    const dir = await tempDir()
    const input = join(dir, 'big.bin')
    const digest = await writeRandomFile(input, 30 * MiB)
    const shared = await a!.share(input)
    await c!.hold(shared.cid)

    let stopped: Promise<void> | undefined
    const onProgress = (event: ExportProgressEvents): void => {
      if (event.type === 'veil:export:block' && event.detail.index === 8 && stopped === undefined) stopped = c!.stop()
    }
    const result = await e!.get(shared.link, { output: join(dir, 'out.bin'), onProgress })
    await stopped
    expect(stopped).toBeDefined()
    expect(await sha256File(join(dir, 'out.bin'))).toBe(digest)
    expect(result.perPeer.get(a!.peerId.toString())).toBeGreaterThan(0)
  }, 120_000)

  it('detects a holder serving corrupted bytes, fetches from an honest one and never asks the liar again', async () => {
    const liarStore = new LyingStore()
    const [b, a, h] = await startSwarm(3)
    const liar = await startNode({ store: liarStore, bootstrap: [addressOf(b!)] })
    const e = await startNode({ bootstrap: [addressOf(b!)] })
    const dir = await tempDir()
    const input = join(dir, 'file.bin')
    const digest = await writeRandomFile(input, 12 * MiB)
    const shared = await a!.share(input)
    await h!.hold(shared.cid)
    await liar.hold(shared.cid)
    await a!.stop() // leave one honest holder and the liar
    liarStore.lying = true

    const result = await e.get(shared.link, { output: join(dir, 'out.bin') })
    expect(await sha256File(join(dir, 'out.bin'))).toBe(digest)
    expect(result.banned).toEqual([liar.peerId.toString()])
    expect(result.perPeer.get(liar.peerId.toString()) ?? 0).toBe(0)
    // Asked once per request in flight when it was caught, never after; and
    // scored down on this node, so the next fetch leaves it alone too.
    const liesWhenCaught = liarStore.lies
    expect(liesWhenCaught).toBeGreaterThan(0)
    expect(e.misbehaviour.get(liar.peerId.toString())).toBeGreaterThan(0)
    await e.get(shared.link, { output: join(dir, 'again.bin') })
    expect(liarStore.lies).toBe(liesWhenCaught)
    expect(await sha256File(join(dir, 'again.bin'))).toBe(digest)
  }, 120_000)

  it('stops within 1 s of an abort, leaves a resumable partial, and resumes fetching only the missing blocks', async () => {
    const [, a, e] = await startSwarm(3)
    const dir = await tempDir()
    const input = join(dir, 'big.bin')
    const digest = await writeRandomFile(input, 40 * MiB)
    const shared = await a!.share(input)
    const output = join(dir, 'out.bin')

    const controller = new AbortController()
    let abortedAt = 0
    const onProgress = (event: ExportProgressEvents): void => {
      if (event.type === 'veil:export:block' && event.detail.index === 10 && abortedAt === 0) {
        abortedAt = performance.now()
        controller.abort()
      }
    }
    await expect(e!.get(shared.link, { output, signal: controller.signal, onProgress, checkpointBlocks: 4 })).rejects.toBeInstanceOf(Error)
    expect(performance.now() - abortedAt).toBeLessThan(1000)
    expect(await exists(output)).toBe(false)
    const state = JSON.parse(await readFile(output + '.veil-state', 'utf8')) as { blocksDone: number }
    expect(state.blocksDone).toBeGreaterThanOrEqual(10)
    expect(state.blocksDone).toBeLessThan(shared.blocks)

    const resumed = await e!.get(shared.link, { output })
    expect(resumed.resumedBlocks).toBe(state.blocksDone)
    expect(resumed.blocksFetched).toBe(shared.blocks - state.blocksDone + 1) // + the root manifest
    expect(await sha256File(output)).toBe(digest)
  }, 120_000)

  it('fails with a clear not-found error, in bounded time, for a share nobody holds', async () => {
    const [, e] = await startSwarm(2, { fetch: { lookupTimeoutMs: 2_000 } })
    const key = new Uint8Array(32).fill(3)
    const orphan = encodeRoot({ fileKey: key, blockSize: 65536, blockCount: 1, height: 0, children: [CID.parse('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')], meta: { kind: 'file', name: 'x', size: 10, mediaType: 'text/plain', padding: 'none' } })
    const link = formatLink({ cid: orphan.cid, key })
    const dir = await tempDir()
    const started = performance.now()
    await expect(e!.get(parseShareLink(link), { output: join(dir, 'x') })).rejects.toMatchObject({ name: 'ShareNotFoundError', message: expect.stringContaining('no peer in the swarm holds') })
    expect(performance.now() - started).toBeLessThan(10_000)
  }, 30_000)
})
