import { describe, it, expect } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { openPut, RefuseCode, ErrorCode } from '../../src/protocol/index.js'
import { frameStream } from '../../src/protocol/frames.js'
import { MAX_FRAME, MessageType } from '../../src/protocol/codec.js'
import { decodeResponse } from '../../src/protocol/messages.js'
import { encodePut } from '../../src/protocol/put-messages.js'
import { rawCid } from '../../src/format/cid.js'
import { BLOCK_PROTOCOL, MiB, ended, expectLegitFetch, expectWithinBudget, startAttacker, startTarget } from './harness.js'

const LIMITS = { readTimeoutMs: 4_000, writeTimeoutMs: 4_000 }

async function peers (count: number): Promise<PeerId[]> {
  return await Promise.all(Array.from({ length: count }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
}

/*
 * Chained PUTs (chain replication) make a storage node send on what it is
 * pushed. A pusher must not be able to break its header parser, make it
 * allocate for a chain it announces, or use it as an amplifier.
 */
describe('chained PUT attacks', () => {
  it('malformed and oversized chain headers are refused (ERROR BadRequest, reset) before anything is allocated or stored', async () => {
    const target = await startTarget({ shareBytes: 2 * MiB, storageBytes: 64 * MiB, readTimeoutMs: 2_000 })
    const attacker = await startAttacker()
    await target.reset()
    const before = (await target.stats()).storage!.used
    const unit = rawCid(new Uint8Array(16).fill(3))
    const [next] = await peers(1)
    const good = encodePut({ unit, count: 1, bytes: 1024, leaseUntil: 0, chain: [next!] })
    const at = 16
    const headers: Array<{ name: string, frame: Uint8Array }> = [
      { name: 'a chain of 255 next nodes', frame: ((f) => { f[at] = 255; return f })(good.slice()) },
      { name: 'a chain of 0 next nodes', frame: ((f) => { f[at] = 0; return f })(good.slice()) },
      { name: 'a 200-byte peer id', frame: ((f) => { f[at + 1] = 200; return f })(good.slice()) },
      { name: 'an undecodable peer id', frame: ((f) => { f[at + 2] = 0x99; return f })(good.slice()) },
      { name: '7 next nodes announced, 1 sent', frame: ((f) => { f[at] = 7; return f })(good.slice()) },
      { name: 'a 64 KiB request frame', frame: (() => { const f = new Uint8Array(64 * 1024); f.set(good); return f })() }
    ]
    const answers: string[] = []
    for (const { name, frame } of headers) {
      const stream = await attacker.stream(target, BLOCK_PROTOCOL)
      const lp = frameStream(stream, 4 * MAX_FRAME)
      await lp.write(frame)
      let answer = 'reset'
      try {
        const response = decodeResponse(await lp.read({ signal: AbortSignal.timeout(5_000) }))
        answer = response.type === MessageType.Error ? `error ${response.code}` : `type ${response.type}`
      } catch {
        // reset before an answer
      }
      await ended(stream, 10_000)
      answers.push(`${name}: ${answer}`)
      expect(answer === `error ${ErrorCode.BadRequest}` || answer === 'reset', `${name}: ${answer}`).toBe(true)
    }
    const stats = await expectWithinBudget(target, 'malformed chained PUT headers (6 kinds)', { answers })
    expect(stats.storage!.used).toBe(before)
    expect(Object.values(stats.rejected).reduce((sum, n) => sum + n, 0)).toBeGreaterThanOrEqual(headers.length)
    await expectLegitFetch(target)
  }, 60_000)

  it('no amplifier: a chain of 7 is offered to its first next node only, a peer that is not a Veil storage node gets no block, and a pusher gets 8 forwards at once', async () => {
    const target = await startTarget({ shareBytes: 2 * MiB, storageBytes: 64 * MiB, readTimeoutMs: 2_000 })
    const attacker = await startAttacker()
    await target.reset()
    // The next nodes: the attacker itself (it does not speak the block protocol), then 6 made-up peers.
    const chain = [attacker.libp2p.peerId, ...await peers(6)]
    let offered = 0
    let busy = 0
    const streams = await Promise.all(Array.from({ length: 12 }, async () => await attacker.stream(target, BLOCK_PROTOCOL)))
    const openings = await Promise.all(streams.map(async (stream, i) => {
      const bytes = new Uint8Array(64 * 1024).fill(i)
      return await openPut(stream, { unit: rawCid(bytes), count: 1, bytes: bytes.length, leaseUntil: 0, chain }, LIMITS)
    }))
    for (const opening of openings) {
      expect(opening.admitted).toBe(true)
      if (!opening.admitted) continue
      const hops = opening.session.hops!
      expect(hops).toHaveLength(7)
      // Never more than the first next node is tried: the others are "not reached".
      for (const hop of hops.slice(1)) expect(hop).toMatchObject({ ok: false, code: RefuseCode.Unreachable, reason: expect.stringMatching(/not reached/) })
      const first = hops[0]!
      expect(first.ok).toBe(false)
      if (!first.ok && first.code === RefuseCode.Busy) busy++
      else offered++
    }
    // 12 at once, none ended yet (each waits for its block): 8 offered on (each refused: the attacker does not
    // speak the block protocol), the other 4 cut at once as busy.
    expect(offered).toBe(8)
    expect(busy).toBe(4)
    for (const [i, opening] of openings.entries()) {
      if (!opening.admitted) continue
      const bytes = new Uint8Array(64 * 1024).fill(i)
      await opening.session.send({ cid: rawCid(bytes), bytes })
      const answers = await opening.session.finish([rawCid(bytes)])
      expect(answers.outcomes.every(o => o.ok)).toBe(true)
    }
    // No block stream ever reached the attacker: it has no handler, and nothing was negotiated to it.
    await expectWithinBudget(target, 'chained PUTs naming 7 next nodes, the first the attacker itself, 12 at once', { offered, busy })
    await expectLegitFetch(target)
  }, 60_000)
})
