import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { logger } from '@libp2p/logger'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { Fetcher, type FetchNetwork } from '../../../src/fetch/index.js'
import { rawCid } from '../../../src/format/cid.js'
import type { WantResult } from '../../../src/protocol/index.js'
import { BlockNotFoundError } from '../../../src/errors.js'

async function newPeer (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/**
 * Holders that fail their first `failures` WANTs with a transport error (a
 * reset stream, as on an overloaded peer), then answer; `dead` ones always fail.
 */
function network (blocks: Map<string, Uint8Array>, holders: Array<{ peer: PeerId, failures: number }>): FetchNetwork & { asked: Map<string, number> } {
  const asked = new Map<string, number>()
  return {
    asked,
    async * want (peer: PeerId, cids: CID[]): AsyncIterable<WantResult> {
      const key = peer.toString()
      const n = (asked.get(key) ?? 0) + 1
      asked.set(key, n)
      const holder = holders.find(h => h.peer.equals(peer))!
      if (n <= holder.failures) throw Object.assign(new Error('the stream was reset'), { name: 'StreamResetError' })
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
    const fetcher = new Fetcher(net, logger('test:fetcher'))
    expect(await fetcher.get(cid)).toEqual(bytes)
    expect(net.asked.get(live.toString())).toBe(2)
  })

  it('still gives up after its attempts when every holder keeps failing', async () => {
    const bytes = new Uint8Array([5, 6, 7])
    const cid = rawCid(bytes)
    const peer = await newPeer()
    const net = network(new Map([[cid.toString(), bytes]]), [{ peer, failures: Infinity }])
    const fetcher = new Fetcher(net, logger('test:fetcher'), undefined, { maxAttempts: 3 })
    await expect(fetcher.get(cid)).rejects.toThrow(BlockNotFoundError)
    expect(net.asked.get(peer.toString())).toBe(3)
  })
})
