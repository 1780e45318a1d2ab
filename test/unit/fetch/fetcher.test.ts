import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { defaultLogger } from '@libp2p/logger'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { Fetcher, type FetchNetwork } from '../../../src/fetch/index.js'
import { rawCid } from '../../../src/format/cid.js'
import type { WantResult } from '../../../src/protocol/index.js'
import { BlockNotFoundError } from '../../../src/errors.js'
import { ErrorCode, RemoteError } from '../../../src/protocol/index.js'

async function newPeer (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/**
 * Holders that fail their first `failures` WANTs with a transport error (a
 * reset stream, as on an overloaded peer), or answer them busy, then answer;
 * with Infinity they never do.
 */
function network (blocks: Map<string, Uint8Array>, holders: Array<{ peer: PeerId, failures: number, busy?: boolean }>): FetchNetwork & { asked: Map<string, number> } {
  const asked = new Map<string, number>()
  return {
    asked,
    async * want (peer: PeerId, cids: CID[]): AsyncIterable<WantResult> {
      const key = peer.toString()
      const n = (asked.get(key) ?? 0) + 1
      asked.set(key, n)
      const holder = holders.find(h => h.peer.equals(peer))!
      if (n <= holder.failures) {
        if (holder.busy === true) throw new RemoteError(ErrorCode.Limit, 'busy')
        throw Object.assign(new Error('the stream was reset'), { name: 'StreamResetError' })
      }
      for (const cid of cids) yield { cid, bytes: blocks.get(cid.toString())! }
    },
    async * findHolders (_unit: CID, options?: { exclude?: (peer: PeerId) => boolean }): AsyncIterable<PeerInfo> {
      for (const { peer } of holders) if (options?.exclude?.(peer) !== true) yield { id: peer, multiaddrs: [] }
    }
  }
}

describe('Fetcher', () => {
  it('asks a holder that failed once again when no other holder can serve, and gets the block', async () => {
    const bytes = new Uint8Array([1, 2, 3, 4])
    const cid = rawCid(bytes)
    const [live, dead1, dead2] = [await newPeer(), await newPeer(), await newPeer()]
    const net = network(new Map([[cid.toString(), bytes]]), [
      { peer: live, failures: 1 },
      { peer: dead1, failures: Infinity },
      { peer: dead2, failures: Infinity }
    ])
    const fetcher = new Fetcher({ network: net, logger: defaultLogger() })
    expect(await fetcher.get(cid)).toEqual(bytes)
    expect(net.asked.get(live.toString())).toBe(2)
  })

  it('still gives up after its attempts when every holder keeps failing', async () => {
    const bytes = new Uint8Array([5, 6, 7])
    const cid = rawCid(bytes)
    const peer = await newPeer()
    const net = network(new Map([[cid.toString(), bytes]]), [{ peer, failures: Infinity }])
    const fetcher = new Fetcher({ network: net, logger: defaultLogger() }, { maxAttempts: 3 })
    await expect(fetcher.get(cid)).rejects.toThrow(BlockNotFoundError)
    expect(net.asked.get(peer.toString())).toBe(3)
  })

  it('waits out a holder that answers busy a few times, then gets the block from it', async () => {
    const bytes = new Uint8Array([8, 9])
    const cid = rawCid(bytes)
    const peer = await newPeer()
    const net = network(new Map([[cid.toString(), bytes]]), [{ peer, failures: 3, busy: true }])
    const fetcher = new Fetcher({ network: net, logger: defaultLogger() }, { maxAttempts: 1 })
    expect(await fetcher.get(cid)).toEqual(bytes)
    expect(net.asked.get(peer.toString())).toBe(4)
  })

  it('gives up on a holder that always answers busy after a bounded number of requests, backing off between them', async () => {
    const bytes = new Uint8Array([10])
    const cid = rawCid(bytes)
    const peer = await newPeer()
    const net = network(new Map([[cid.toString(), bytes]]), [{ peer, failures: Infinity, busy: true }])
    const fetcher = new Fetcher({ network: net, logger: defaultLogger() }, { maxAttempts: 2, maxLookups: 1 })
    const started = performance.now()
    await expect(fetcher.get(cid)).rejects.toThrow(BlockNotFoundError)
    // 3 busy answers cost nothing, the next 2 one attempt each; pauses of 100, 200, 400 and 800 ms between them.
    expect(net.asked.get(peer.toString())).toBe(5)
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_400)
  })

  it('looks again, after a pause, when a look-up finds no holder at all (a node that just joined), and gets the block', async () => {
    const bytes = new Uint8Array([11, 12])
    const cid = rawCid(bytes)
    const peer = await newPeer()
    const net = network(new Map([[cid.toString(), bytes]]), [{ peer, failures: 0 }])
    let lookups = 0
    const findHolders = net.findHolders
    net.findHolders = (unit, options) => ++lookups === 1 ? (async function * () {})() : findHolders(unit, options)
    const fetcher = new Fetcher({ network: net, logger: defaultLogger() })
    expect(await fetcher.get(cid)).toEqual(bytes)
    expect(lookups).toBe(2)
  })
})
