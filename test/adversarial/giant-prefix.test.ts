import { describe, it, expect } from 'vitest'
import * as varint from 'uint8-varint'
import { encodeWant } from '../../src/protocol/messages.js'
import { rawCid } from '../../src/format/cid.js'
import { BLOCK_PROTOCOL, DHT_PROTOCOL, MiB, ended, expectLegitFetch, expectWithinBudget, flood, startAttacker, startTarget } from './harness.js'

const JUNK = new Uint8Array(64 * 1024).fill(0xab)

/*
 * A length prefix announcing far more than any frame may hold, then as much
 * data as the node takes. The block exchange refuses it at the prefix (the
 * body is never buffered); kad-dht would buffer up to 4 MiB per stream
 * waiting for the body, so the wire guard refuses kad frames over 1 MiB.
 */
describe('giant length prefixes', () => {
  it('are refused at the prefix on block and kad-dht streams; the node buffers no body', async () => {
    const target = await startTarget({ shareBytes: 2 * MiB })
    const attacker = await startAttacker()
    await target.reset()
    const sizes = [100 * MiB, 2 ** 27, 2 ** 28 - 1, 5 * MiB]
    const attacks: Array<Promise<void>> = []
    for (const protocol of [BLOCK_PROTOCOL, DHT_PROTOCOL]) {
      for (let i = 0; i < 16; i++) {
        const stream = await attacker.stream(target, protocol)
        attacks.push((async () => {
          stream.send(varint.encode(sizes[i % sizes.length]!))
          await flood(stream, JUNK, 8 * MiB)
          await ended(stream)
        })())
      }
    }
    await Promise.all(attacks)
    const stats = await expectWithinBudget(target, 'giant prefix (5 MiB to 256 MiB), 16 block + 16 kad-dht streams, then junk')
    const tooLong = Object.entries(stats.rejected).filter(([reason]) => /runs past|too long|longer than|frame of/.test(reason)).reduce((sum, [, n]) => sum + n, 0)
    expect(tooLong).toBe(16)
    expect(stats.wire.refused).toBeGreaterThanOrEqual(16)
    await expectLegitFetch(target)
  }, 60_000)

  it('legal 4 MiB frames after a WANT are not read: the server stops reading once a request is in, and resets a peer that keeps its side open', async () => {
    const target = await startTarget({ shareBytes: 1 * MiB })
    const attacker = await startAttacker()
    await target.reset()
    const want = encodeWant([rawCid(Uint8Array.of(1))])
    const request = Uint8Array.from([...varint.encode(want.length), ...want])
    const zeros = new Uint8Array(64 * 1024)
    const streams = await Promise.all(Array.from({ length: 16 }, async () => await attacker.stream(target, BLOCK_PROTOCOL)))
    await Promise.all(streams.map(async stream => {
      stream.send(request)
      try {
        for (let frame = 0; frame < 6 && stream.status === 'open'; frame++) {
          stream.send(varint.encode(4 * MiB))
          await flood(stream, zeros, 4 * MiB)
        }
      } catch {
        // reset: expected
      }
      await ended(stream)
    }))
    // Before: lpStream took in up to its whole 24 MiB buffer per stream (+417 MiB for these 16).
    const stats = await expectWithinBudget(target, '16 block streams: a WANT, then 6 legal 4 MiB frames each')
    expect(stats.activeStreams).toBe(0)
    await expectLegitFetch(target)
  }, 60_000)
})
