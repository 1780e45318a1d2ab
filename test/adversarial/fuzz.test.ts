import { describe, it, expect } from 'vitest'
import type { Stream } from '@libp2p/interface'
import { BLOCK_PROTOCOL, DHT_PROTOCOL, MiB, expectLegitFetch, expectWithinBudget, startAttacker, startTarget, type Attacker, type Target } from './harness.js'
import { fuzzCases, prng, type FuzzCase } from './fuzz-frames.js'

const SEED = 0x5eed11
const CASES = 1_000
/** Stop sending new cases after this long, whatever is left (bounded in time). */
const BUDGET_MS = 20_000
const CONCURRENCY = 16
const READ_TIMEOUT_MS = 1_500
const QUOTA = 8 * MiB

/** Run one case on a fresh stream; resolves once the target has ended it (or we gave up on it). */
async function run (stream: Stream, fuzz: FuzzCase): Promise<'ended' | 'stuck'> {
  const done = new Promise<'ended'>(resolve => {
    if (stream.status !== 'open') resolve('ended')
    else stream.addEventListener('close', () => { resolve('ended') }, { once: true })
  })
  // Drain whatever the target answers.
  void (async () => { try { for await (const _ of stream) { /* answers */ } } catch { /* reset */ } })()
  try {
    for (const chunk of fuzz.chunks) {
      if (stream.status !== 'open' || stream.writeStatus !== 'writable') break
      if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(5_000) })
    }
    if (fuzz.close && stream.writeStatus === 'writable') await stream.close({ signal: AbortSignal.timeout(5_000) })
  } catch {
    // reset by the target
  }
  const verdict = await Promise.race([done, new Promise<'stuck'>(resolve => setTimeout(() => { resolve('stuck') }, READ_TIMEOUT_MS + 10_000))])
  if (verdict === 'stuck') stream.abort(new Error('gave up'))
  return verdict
}

/** Random bytes on the DHT protocol (kad-dht's protobuf decoder). */
function dhtCase (random: () => number): FuzzCase {
  const length = Math.floor(random() * 300)
  const body = Uint8Array.from({ length }, () => Math.floor(random() * 256))
  return { kind: 'kad-dht random message', chunks: [Uint8Array.from([length & 0x7f | (length > 127 ? 0x80 : 0), ...(length > 127 ? [length >> 7] : []), ...body])], close: true, frames: 1 }
}

async function fuzz (target: Target, attackers: Attacker[], cases: FuzzCase[]): Promise<{ ran: number, frames: number, stuck: number, kinds: Record<string, number> }> {
  const started = performance.now()
  const random = prng(SEED + 1)
  let next = 0
  let ran = 0
  let stuck = 0
  let frames = 0
  const kinds: Record<string, number> = {}
  const worker = async (w: number): Promise<void> => {
    const attacker = attackers[w % attackers.length]!
    while (next < cases.length && performance.now() - started < BUDGET_MS) {
      const onDht = random() < 0.1
      const fuzzCase = onDht ? dhtCase(random) : cases[next++]!
      let stream: Stream
      try {
        stream = await attacker.stream(target, onDht ? DHT_PROTOCOL : BLOCK_PROTOCOL)
      } catch {
        continue // the target turned the stream down: fine
      }
      if (await run(stream, fuzzCase) === 'stuck') stuck++
      ran++
      frames += fuzzCase.frames
      kinds[fuzzCase.kind] = (kinds[fuzzCase.kind] ?? 0) + 1
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => { await worker(w) }))
  return { ran, frames, stuck, kinds }
}

describe('fuzzed frames', () => {
  it('a few thousand seeded, damaged block exchange frames (and random kad-dht messages) against a storage node with an 8 MiB quota', async () => {
    const target = await startTarget({ shareBytes: 2 * MiB, readTimeoutMs: READ_TIMEOUT_MS, storageBytes: QUOTA })
    const attackers = await Promise.all(Array.from({ length: 4 }, async () => await startAttacker()))
    await target.reset()
    const result = await fuzz(target, attackers, fuzzCases(SEED, CASES))
    const stats = await expectWithinBudget(target, `fuzzed frames: ${result.frames} frames on ${result.ran} streams (seed ${SEED}), storage node with an 8 MiB quota`, { frames: result.frames, streams: result.ran, stuck: result.stuck })
    expect(result.frames).toBeGreaterThanOrEqual(2_500)
    expect(result.stuck).toBe(0)
    expect(stats.activeStreams).toBe(0)
    expect(stats.storage!.used).toBeLessThanOrEqual(QUOTA)
    // Nothing is retained: after a GC the JS heap is back near where it was
    // (RSS stays higher a while: V8 keeps the pages it grew into).
    const settled = await target.stats(true)
    expect(settled.heapUsed - settled.heapBase).toBeLessThan(16 * MiB)
    await expectLegitFetch(target)
  }, 90_000)
})
