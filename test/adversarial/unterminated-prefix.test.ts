import { describe, it, expect } from 'vitest'
import * as varint from 'uint8-varint'
import {
  BLOCK_PROTOCOL, DHT_PROTOCOL, MiB, ended, expectLegitFetch, expectWithinBudget, flood, rawTcp, socketClosed,
  startAttacker, startTarget
} from './harness.js'

const ENDLESS = new Uint8Array(64 * 1024).fill(0xff)
const MSS_HEADER = Uint8Array.from([...varint.encode(19), ...new TextEncoder().encode('/multistream/1.0.0\n')])

/*
 * A varint length prefix that never ends (0xff…). Before the fix, libp2p's
 * decoder chewed it one byte at a time without yielding: 2 MiB on one block
 * stream stalled the node 7.8 s, on a kad-dht stream 6.7 s, 1 MiB on a bare
 * TCP connection 0.8 s (new handshakes timed out meanwhile).
 */
describe('unterminated length prefixes', () => {
  it('on 64 block streams at once: each reset after a few bytes, the node never stalls', async () => {
    const target = await startTarget({ shareBytes: 2 * MiB })
    const attacker = await startAttacker()
    await target.reset()
    const streams = await Promise.all(Array.from({ length: 64 }, async () => await attacker.stream(target, BLOCK_PROTOCOL)))
    await Promise.all(streams.map(async stream => { await flood(stream, ENDLESS, 4 * MiB); await ended(stream) }))
    const stats = await expectWithinBudget(target, 'unterminated prefix, 64 block streams × up to 4 MiB of 0xff')
    // Reset for the prefix (by the wire guard, which reads first, or else by
    // the bounded decoder), never by the read deadline.
    const forThePrefix = Object.entries(stats.rejected).filter(([reason]) => /length prefix (runs past|longer than) N bytes/.test(reason)).reduce((sum, [, n]) => sum + n, 0)
    expect(forThePrefix).toBe(64)
    expect(stats.rejected['timed out'] ?? 0).toBe(0)
    await expectLegitFetch(target)
  }, 60_000)

  it('on kad-dht streams, on streams before protocol negotiation, and on bare TCP before any handshake', async () => {
    const target = await startTarget({ shareBytes: 1 * MiB })
    const attacker = await startAttacker()
    await target.reset()
    const dht = await Promise.all(Array.from({ length: 8 }, async () => await attacker.stream(target, DHT_PROTOCOL)))
    // A stream nobody negotiated: multistream-select reads these bytes itself.
    const raw = await Promise.all(Array.from({ length: 8 }, async () => await attacker.rawStream(target)))
    const sockets = await Promise.all(Array.from({ length: 8 }, async () => await rawTcp(target)))
    await Promise.all([
      ...dht.map(async stream => { await flood(stream, ENDLESS, 2 * MiB); await ended(stream) }),
      ...raw.map(async stream => { stream.send(MSS_HEADER); await flood(stream, ENDLESS, 2 * MiB); await ended(stream) }),
      ...sockets.map(async socket => {
        for (let i = 0; i < 16 && !socket.destroyed; i++) socket.write(ENDLESS)
        await socketClosed(socket)
      })
    ])
    const stats = await expectWithinBudget(target, 'unterminated prefix, 8 kad-dht + 8 unnegotiated streams + 8 bare TCP connections')
    expect(stats.wire.refused).toBeGreaterThanOrEqual(24)
    await expectLegitFetch(target)
  }, 60_000)
})
