import { describe, it, expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import { pushNameRecord, RefuseCode, type NameReply } from '../../src/protocol/index.js'
import { generateSeed, publicKeyFromSeed, signNameRecord } from '../../src/names/index.js'
import { BLOCK_PROTOCOL, MiB, expectLegitFetch, expectWithinBudget, startAttacker, startTarget, type Attacker, type Target } from './harness.js'

const LIMITS = { readTimeoutMs: 5_000, writeTimeoutMs: 5_000 }

/** A validly signed record of a brand-new name (names cost an attacker nothing). */
function freshRecord (): Uint8Array {
  const seed = generateSeed()
  const now = Date.now()
  return signNameRecord(seed, { publicKey: publicKeyFromSeed(seed), sequence: 1, signedAt: now, validUntil: now + 3_600_000, sealedValue: randomBytes(100) })
}

async function push (attacker: Attacker, target: Target, record: Uint8Array): Promise<NameReply | Error> {
  return await pushNameRecord(await attacker.stream(target, BLOCK_PROTOCOL), record, LIMITS).catch((err: Error) => err)
}

/*
 * NAME is a new reader of network bytes on storage nodes: each request is a
 * signature check and a durable write. One peer floods it with 1,500 valid
 * records of fresh names and 1,500 junk ones (random bytes, forged
 * signatures), 48 streams at a time.
 */
describe('NAME flood', () => {
  it('is bounded per peer (rate, and 64 records kept); junk is refused; another peer is still served; honest fetches work', async () => {
    const target = await startTarget({ shareBytes: 2 * MiB, storageBytes: 64 * MiB })
    const attacker = await startAttacker()
    const valid = Array.from({ length: 1_500 }, freshRecord)
    const junk = Array.from({ length: 1_500 }, (_, i) => i % 2 === 0
      ? new Uint8Array(randomBytes(1 + (i % 2048)))
      : (() => { const r = freshRecord(); r[r.length - 5]! ^= 1; return r })())
    const all = valid.flatMap((record, i) => [record, junk[i]!])
    await target.reset()
    const replies: Array<NameReply | Error> = []
    let next = 0
    await Promise.all(Array.from({ length: 48 }, async () => {
      while (next < all.length) replies.push(await push(attacker, target, all[next++]!))
    }))
    const kept = replies.filter(r => !(r instanceof Error) && r.ok).length
    const busy = replies.filter(r => r instanceof Error && r.name === 'RemoteError').length
    const overQuota = replies.filter(r => !(r instanceof Error) && !r.ok && r.code === RefuseCode.PeerQuota).length
    const invalid = replies.filter(r => !(r instanceof Error) && !r.ok && r.code === RefuseCode.Invalid).length
    const stats = await expectWithinBudget(target, 'NAME flood: 3,000 records (half valid for fresh names, half junk) from one peer, 48 streams at a time', { kept, busy, overQuota, invalid })
    expect(stats.heldRecords).toBe(kept)
    expect(kept).toBeLessThanOrEqual(64)
    expect(kept).toBeGreaterThan(0)
    expect(busy).toBeGreaterThan(2_000)
    // Another peer is not shut out by the first one's flood.
    const other = await startAttacker()
    expect(await push(other, target, freshRecord())).toEqual({ ok: true })
    expect(await push(other, target, new Uint8Array(randomBytes(300)))).toMatchObject({ ok: false, code: RefuseCode.Invalid })
    await expectLegitFetch(target)
  }, 120_000)
})
