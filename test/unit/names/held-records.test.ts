import { describe, it, expect, onTestFinished } from 'vitest'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { LevelBlockStore } from '../../../src/blockstore/index.js'
import { RefuseCode } from '../../../src/protocol/index.js'
import { HeldRecords, generateSeed, publicKeyFromSeed, signNameRecord } from '../../../src/names/index.js'
import { tempDir } from '../../helpers/files.js'

async function peer (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

function record (seed = generateSeed(), sequence = 1, validForMs = 3_600_000): Uint8Array {
  const now = Date.now()
  return signNameRecord(seed, { publicKey: publicKeyFromSeed(seed), sequence, signedAt: now - 1000, validUntil: now + validForMs, sealedValue: randomBytes(100) })
}

async function held (limits = { perPeer: 3, total: 5 }): Promise<{ records: HeldRecords, store: LevelBlockStore, dir: string }> {
  const dir = join(await tempDir(), 'store')
  const store = await LevelBlockStore.open(dir)
  onTestFinished(async () => { await store.close() })
  return { records: new HeldRecords(store, limits), store, dir }
}

describe('records a storage node keeps for others', () => {
  it('keeps the newest per name, refuses an older one and junk', async () => {
    const { records } = await held()
    const from = await peer()
    const seed = generateSeed()
    expect(await records.accept(from, record(seed, 2))).toEqual({ ok: true })
    expect(await records.accept(from, record(seed, 1))).toMatchObject({ ok: false, code: RefuseCode.Invalid, reason: expect.stringMatching(/newer record/) })
    expect(await records.accept(from, record(seed, 3))).toEqual({ ok: true })
    expect(records.size).toBe(1)
    expect(await records.accept(from, new Uint8Array(randomBytes(200)))).toMatchObject({ ok: false, code: RefuseCode.Invalid })
  })

  it('bounds what one pusher and all of them may keep here; expired records make room; counts survive a restart', async () => {
    const { records, store, dir } = await held()
    const [a, b] = [await peer(), await peer()]
    for (let i = 0; i < 3; i++) expect(await records.accept(a, record())).toEqual({ ok: true })
    expect(await records.accept(a, record())).toMatchObject({ ok: false, code: RefuseCode.PeerQuota })
    expect(await records.accept(b, record(generateSeed(), 1, 300))).toEqual({ ok: true })
    expect(await records.accept(b, record())).toEqual({ ok: true })
    expect(await records.accept(b, record())).toMatchObject({ ok: false, code: RefuseCode.Quota })
    // Once one expires, it makes room.
    await new Promise(resolve => setTimeout(resolve, 350))
    expect(await records.accept(b, record())).toEqual({ ok: true })
    expect(records.size).toBe(5)
    await store.close()
    const reopened = await LevelBlockStore.open(dir)
    onTestFinished(async () => { await reopened.close() })
    const again = new HeldRecords(reopened, { perPeer: 3, total: 5 })
    await again.load()
    expect(again.size).toBe(5)
    expect(await again.accept(a, record())).toMatchObject({ ok: false, code: RefuseCode.PeerQuota })
  })
  it('holds its bounds when many pushes arrive at once (each waits for the last write before counting)', async () => {
    const { records } = await held({ perPeer: 3, total: 100 })
    const from = await peer()
    const replies = await Promise.all(Array.from({ length: 24 }, async () => await records.accept(from, record())))
    // Without the one-at-a-time check-then-write, every push passed the count before any write landed.
    expect(replies.filter(r => r.ok)).toHaveLength(3)
    expect(replies.filter(r => !r.ok && r.code === RefuseCode.PeerQuota)).toHaveLength(21)
    expect(records.size).toBe(3)
  })
})
