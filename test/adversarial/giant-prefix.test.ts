import { describe, it, expect } from 'vitest'
import * as varint from 'uint8-varint'
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
    const tooLong = Object.entries(stats.rejected).filter(([reason]) => /too long|longer than|frame of/.test(reason)).reduce((sum, [, n]) => sum + n, 0)
    expect(tooLong).toBe(16)
    expect(stats.wire.refused).toBeGreaterThanOrEqual(16)
    await expectLegitFetch(target)
  }, 60_000)
})
