/**
 * The fetch engine against holders that misbehave, lack the block, are
 * saturated or never answer: bans, missing blocks, per-peer slots, penalties,
 * the local store, cancellation and deadlines.
 */
import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { defaultLogger } from '@libp2p/logger'
import type { AbortOptions, PeerId, PeerInfo } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { Fetcher, type FetcherInit, type FetchNetwork } from '../../../src/fetch/index.js'
import { rawCid } from '../../../src/format/index.js'
import { MemoryBlockStore } from '../../../src/blockstore/index.js'
import type { WantResult } from '../../../src/protocol/index.js'
import { BlockHashMismatchError, BlockNotFoundError, ShareNotFoundError } from '../../../src/errors.js'

async function newPeer (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

function block (fill: number): { cid: CID, bytes: Uint8Array } {
  const bytes = new Uint8Array(16).fill(fill)
  return { cid: rawCid(bytes), bytes }
}

/** How a holder answers a WANT: the blocks, "not held", a thrown error, or an answer held back until released. */
type Behaviour = 'serve' | 'lack' | 'lie' | 'hang'

interface FakeNetwork extends FetchNetwork {
  /** WANTs each peer was sent. */
  asked: Map<string, number>
  /** WANTs in flight at once to any one peer, at most. */
  peakInFlight: number
  /** Signals of the WANTs that were cut short. */
  aborted: number
  /** Let every held-back WANT answer. */
  release: () => void
}

function network (blocks: Array<{ cid: CID, bytes: Uint8Array }>, holders: Array<{ peer: PeerId, behaviour: Behaviour }>): FakeNetwork {
  const byCid = new Map(blocks.map(b => [b.cid.toString(), b.bytes]))
  const inFlight = new Map<string, number>()
  let released = false
  let waiters: Array<() => void> = []
  const net: FakeNetwork = {
    asked: new Map(),
    peakInFlight: 0,
    aborted: 0,
    release: () => { released = true; for (const wake of waiters) wake(); waiters = [] },
    async * want (peer: PeerId, cids: CID[], options?: AbortOptions): AsyncIterable<WantResult> {
      const key = peer.toString()
      net.asked.set(key, (net.asked.get(key) ?? 0) + 1)
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1)
      net.peakInFlight = Math.max(net.peakInFlight, inFlight.get(key)!)
      try {
        const { behaviour } = holders.find(h => h.peer.equals(peer))!
        if (behaviour === 'lie') throw new BlockHashMismatchError('the peer sent altered data')
        if (behaviour === 'hang' && !released) {
          await new Promise<void>((resolve, reject) => {
            waiters.push(resolve)
            options?.signal?.addEventListener('abort', () => { net.aborted++; reject(options.signal?.reason) }, { once: true })
          })
        }
        for (const cid of cids) yield { cid, bytes: behaviour === 'lack' ? undefined : byCid.get(cid.toString()) }
      } finally {
        inFlight.set(key, inFlight.get(key)! - 1)
      }
    },
    async * findHolders (_unit: CID, options?: { exclude?: (peer: PeerId) => boolean }): AsyncIterable<PeerInfo> {
      for (const { peer } of holders) if (options?.exclude?.(peer) !== true) yield { id: peer, multiaddrs: [] }
    }
  }
  return net
}

function fetcherOn (net: FetchNetwork, init: FetcherInit = {}, store?: MemoryBlockStore): Fetcher {
  return new Fetcher({ network: net, store, logger: defaultLogger() }, init)
}

describe('Fetcher and its holders', () => {
  it('bans a holder that sends a wrong block for the rest of the fetch, reports it once, and gets every block elsewhere', async () => {
    const blocks = [block(1), block(2), block(3)]
    const [liar, honest] = [await newPeer(), await newPeer()]
    const net = network(blocks, [{ peer: liar, behaviour: 'lie' }, { peer: honest, behaviour: 'serve' }])
    const reported: Array<[string, string]> = []
    const fetcher = fetcherOn(net, { onMisbehaviour: (peer, reason) => reported.push([peer.toString(), reason]) })
    for (const { cid, bytes } of blocks) expect(await fetcher.get(cid)).toEqual(bytes)
    expect(net.asked.get(liar.toString())).toBe(1)
    expect(reported).toEqual([[liar.toString(), 'BlockHashMismatchError']])
    expect([...fetcher.stats.banned]).toEqual([liar.toString()])
    expect(fetcher.stats).toMatchObject({ blocksFetched: 3, bytesFetched: 48 })
    expect(fetcher.stats.perPeer.get(honest.toString())).toBe(3)
  })

  it('moves on from holders that lack a block, and says how many did when none has it', async () => {
    const wanted = block(4)
    const [a, b, c] = [await newPeer(), await newPeer(), await newPeer()]
    const found = network([wanted], [{ peer: a, behaviour: 'lack' }, { peer: b, behaviour: 'serve' }])
    expect(await fetcherOn(found).get(wanted.cid)).toEqual(wanted.bytes)
    const none = network([wanted], [{ peer: a, behaviour: 'lack' }, { peer: c, behaviour: 'lack' }])
    await expect(fetcherOn(none, { maxLookups: 1 }).get(wanted.cid)).rejects.toThrow(new BlockNotFoundError(`block ${wanted.cid.toString()} could not be fetched from any of the 2 holders found (2 do not have it, the others failed or stayed busy): try again later`))
  })

  it('fails with ShareNotFoundError when no peer holds the unit at all', async () => {
    const net = network([], [])
    await expect(fetcherOn(net, { maxLookups: 1 }).get(block(5).cid)).rejects.toThrow(ShareNotFoundError)
  })

  it('never has more requests in flight to one peer than its slots; the others wait for a slot and then finish', async () => {
    const blocks = [block(6), block(7), block(8), block(9)]
    const peer = await newPeer()
    const net = network(blocks, [{ peer, behaviour: 'hang' }])
    const fetcher = fetcherOn(net, { maxInFlightPerPeer: 2, blocksPerRequest: 1 })
    const gets = blocks.map(async ({ cid }) => await fetcher.get(cid))
    // Wait until the slots are taken, then let the holder answer.
    await expect.poll(() => net.asked.get(peer.toString())).toBe(2)
    net.release()
    expect(await Promise.all(gets)).toEqual(blocks.map(b => b.bytes))
    expect(net.peakInFlight).toBe(2)
  })

  it('asks the peer it holds a past against last, even when its record is better', async () => {
    const [first, second] = [block(10), block(14)]
    const segment = block(15).cid
    const [suspect, other] = [await newPeer(), await newPeer()]
    const net = network([first, second], [{ peer: other, behaviour: 'serve' }, { peer: suspect, behaviour: 'serve' }])
    const fetcher = fetcherOn(net, { penalty: peer => peer.equals(suspect) ? 100 : 0 })
    // The first block goes to the first holder found, which measures slower than an untried peer is assumed to be;
    // by the second block both are known, and only the penalty keeps the suspect from being asked.
    await fetcher.get(first.cid, { segment })
    expect(await fetcher.get(second.cid, { segment })).toEqual(second.bytes)
    expect(net.asked.get(suspect.toString())).toBeUndefined()
    expect(net.asked.get(other.toString())).toBe(2)
  })

  it('takes a block already in its local store without asking anyone', async () => {
    const held = block(11)
    const store = new MemoryBlockStore()
    await store.put(held)
    const net = network([held], [{ peer: await newPeer(), behaviour: 'serve' }])
    expect(await fetcherOn(net, {}, store).get(held.cid)).toEqual(held.bytes)
    expect(net.asked.size).toBe(0)
  })

  it('stops the request behind a get when the caller aborts, and rejects with its reason', async () => {
    const net = network([block(12)], [{ peer: await newPeer(), behaviour: 'hang' }])
    const caller = new AbortController()
    const get = fetcherOn(net).get(block(12).cid, { signal: caller.signal })
    await expect.poll(() => net.asked.size).toBe(1)
    caller.abort(new Error('stopped by the caller'))
    await expect(get).rejects.toThrow('stopped by the caller')
    expect(net.aborted).toBe(1)
  })

  it('rejects with TimeoutError when the caller\'s deadline passes', async () => {
    const net = network([block(13)], [{ peer: await newPeer(), behaviour: 'hang' }])
    await expect(fetcherOn(net).get(block(13).cid, { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(net.aborted).toBe(1)
  })
})
