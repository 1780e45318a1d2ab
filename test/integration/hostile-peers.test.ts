import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import * as varint from 'uint8-varint'
import type { Stream } from '@libp2p/interface'
import { startNode, startSwarm, addressOf } from '../helpers/swarm.js'
import { tempDir, writeRandomFile, sha256File } from '../helpers/files.js'
import { DEFAULT_BLOCK_PROTOCOL } from '../../src/protocol/index.js'

const MiB = 1024 * 1024

/** Resolves when the stream is closed or reset by either side. */
async function ended (stream: Stream): Promise<void> {
  if (stream.status !== 'open') return
  await new Promise(resolve => { stream.addEventListener('close', resolve, { once: true }) })
}

/** Keep sending until the stream refuses; returns how many bytes the peer took. */
async function flood (stream: Stream, limit: number): Promise<number> {
  const chunk = new Uint8Array(64 * 1024).fill(0xab)
  let sent = 0
  try {
    while (sent < limit && stream.status === 'open' && stream.writeStatus === 'writable') {
      if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(5_000) })
      sent += chunk.length
    }
  } catch {
    // reset by the peer: exactly what we want to see
  }
  return sent
}

describe('hostile peers', () => {
  it('resets a 100 MiB length prefix and a silent stream, stays small in memory, and keeps serving', async () => {
    const rejected: string[] = []
    const [b] = await startSwarm(1)
    const server = await startNode({
      bootstrap: [addressOf(b!)],
      exchange: { readTimeoutMs: 800, events: { onStreamRejected: (_peer, reason) => rejected.push(reason) } }
    })
    const attacker = await startNode({ bootstrap: [addressOf(b!)] })
    const dir = await tempDir()
    const input = join(dir, 'file.bin')
    const digest = await writeRandomFile(input, 3 * MiB)
    const shared = await server.share(input)

    const rssBefore = process.memoryUsage().rss

    // 1. A length prefix of 100 MiB, then as much data as the server will take.
    const big = await attacker.libp2p.dialProtocol(server.peerId, DEFAULT_BLOCK_PROTOCOL)
    big.send(varint.encode(100 * MiB))
    const accepted = await flood(big, 100 * MiB)
    await ended(big)
    expect(big.status).not.toBe('open')
    expect(accepted).toBeLessThan(4 * MiB) // measured: one Yamux window, 256 KiB

    // 2. A stream that says nothing.
    const silent = await attacker.libp2p.dialProtocol(server.peerId, DEFAULT_BLOCK_PROTOCOL)
    const opened = performance.now()
    await ended(silent)
    const silentFor = performance.now() - opened
    expect(silentFor).toBeGreaterThanOrEqual(700)
    expect(silentFor).toBeLessThan(3_000)

    expect(rejected.some(reason => /too long/.test(reason))).toBe(true)
    expect(rejected).toContain('timed out')
    expect(server.exchange.activeStreams).toBe(0)
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(8 * MiB) // measured: ~1.4 MiB

    // 3. The server still serves everyone else.
    const client = await startNode({ bootstrap: [addressOf(b!)] })
    await client.get(shared.link, { output: join(dir, 'out.bin') })
    expect(await sha256File(join(dir, 'out.bin'))).toBe(digest)
  }, 60_000)
})
