import { describe, it, expect } from 'vitest'
import * as varint from 'uint8-varint'
import type { Stream } from '@libp2p/interface'
import type { Socket } from 'node:net'
import { encodeWant } from '../../src/protocol/messages.js'
import { rawCid } from '../../src/format/cid.js'
import { BLOCK_PROTOCOL, MiB, ended, expectLegitFetch, expectWithinBudget, rawTcp, socketClosed, startAttacker, startTarget } from './harness.js'

const READ_TIMEOUT_MS = 2_000
/** Veil's inboundUpgradeTimeout: a connection must finish its handshake within 5 s. */
const UPGRADE_TIMEOUT_MS = 5_000

/** Send `bytes` one per second until done or the other side ends it; resolves with how many went out. */
async function trickle (send: (byte: Uint8Array) => boolean, bytes: Uint8Array, closed: Promise<void>): Promise<number> {
  let sent = 0
  let open = true
  void closed.then(() => { open = false })
  while (open && sent < bytes.length) {
    if (!send(bytes.subarray(sent, sent + 1))) break
    sent++
    await Promise.race([closed, new Promise(resolve => setTimeout(resolve, 1_000))])
  }
  return sent
}

function streamSender (stream: Stream): (byte: Uint8Array) => boolean {
  return byte => {
    try {
      stream.send(byte)
      return true
    } catch {
      return false
    }
  }
}

function socketSender (socket: Socket): (byte: Uint8Array) => boolean {
  return byte => !socket.destroyed && (socket.write(byte), true)
}

/*
 * Slowloris: requests sent at 1 byte/s, each byte just in time to look
 * alive. Every deadline is per frame (or per handshake), not per byte, so a
 * trickling peer is cut off at the deadline whatever it sends.
 */
describe('slowloris at 1 byte/s', () => {
  it('on 32 block request frames and 4 bare TCP handshakes: each cut off at its deadline, not kept alive by the trickle', async () => {
    const target = await startTarget({ shareBytes: 2 * MiB, readTimeoutMs: READ_TIMEOUT_MS })
    const attacker = await startAttacker()
    await target.reset()
    const want = encodeWant([rawCid(Uint8Array.of(1)), rawCid(Uint8Array.of(2))])
    const frame = Uint8Array.from([...varint.encode(want.length), ...want]) // 77 bytes: 77 s at 1 byte/s
    const mss = Uint8Array.from([...varint.encode(19), ...new TextEncoder().encode('/multistream/1.0.0\n')])
    const started = performance.now()
    const streams = await Promise.all(Array.from({ length: 32 }, async () => await attacker.stream(target, BLOCK_PROTOCOL)))
    const sockets = await Promise.all(Array.from({ length: 4 }, async () => await rawTcp(target)))
    const results = await Promise.all([
      ...streams.map(async stream => {
        const sent = await trickle(streamSender(stream), frame, ended(stream, 30_000))
        return { kind: 'block', sent, ms: performance.now() - started }
      }),
      ...sockets.map(async socket => {
        const sent = await trickle(socketSender(socket), mss, socketClosed(socket, 30_000))
        return { kind: 'tcp', sent, ms: performance.now() - started }
      })
    ])
    const blocks = results.filter(r => r.kind === 'block')
    const tcp = results.filter(r => r.kind === 'tcp')
    const stats = await expectWithinBudget(target, 'slowloris at 1 byte/s: 32 block requests (read deadline 2 s) + 4 bare TCP handshakes (5 s)', {
      blockStreamsEndedMs: Math.round(Math.max(...blocks.map(r => r.ms))),
      tcpEndedMs: Math.round(Math.max(...tcp.map(r => r.ms)))
    })
    for (const result of blocks) {
      expect(result.sent).toBeLessThan(frame.length)
      expect(result.ms).toBeLessThan(READ_TIMEOUT_MS + 3_000)
    }
    for (const result of tcp) expect(result.ms).toBeLessThan(UPGRADE_TIMEOUT_MS + 3_000)
    expect(stats.rejected['timed out']).toBe(32)
    expect(stats.activeStreams).toBe(0)
    await expectLegitFetch(target)
  }, 60_000)
})
