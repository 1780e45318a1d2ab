import { describe, it, expect } from 'vitest'
import type { AbortOptions, PeerInfo } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import type { CID } from 'multiformats/cid'
import { Announcer, discoveryCid, discoveryKey, findHolders } from '../../../src/routing/index.js'
import { dagCborCid } from '../../../src/format/cid.js'
import { sha256 } from '../../../src/crypto/index.js'

const logger = defaultLogger()
const UNIT = dagCborCid(new TextEncoder().encode('a unit'))

async function peers (count: number): Promise<PeerInfo[]> {
  return await Promise.all(Array.from({ length: count }, async () => ({ id: peerIdFromPrivateKey(await generateKeyPair('Ed25519')), multiaddrs: [] })))
}

describe('discovery keys', () => {
  it('are SHA-256("veil/v1/disc" ‖ CID) wrapped in a raw CID, never the CID itself', () => {
    const expected = sha256(new TextEncoder().encode('veil/v1/disc'), UNIT.bytes)
    expect(discoveryKey(UNIT)).toEqual(expected)
    const cid = discoveryCid(UNIT)
    expect(cid.multihash.digest).toEqual(expected)
    expect(cid.code).toBe(0x55)
    expect(cid.equals(UNIT)).toBe(false)
  })
})

describe('findHolders', () => {
  it('stops the lookup as soon as enough holders have answered', async () => {
    const all = await peers(10)
    let yielded = 0
    let aborted = false
    const dht = {
      async * findProviders (_key: CID, options: AbortOptions = {}) {
        options.signal?.addEventListener('abort', () => { aborted = true })
        for (const provider of all) {
          yielded++
          yield { name: 'PROVIDER', providers: [provider] }
        }
      }
    }
    const found = []
    for await (const holder of findHolders(dht, UNIT, { enough: 3 })) found.push(holder)
    expect(found.map(p => p.id.toString())).toEqual(all.slice(0, 3).map(p => p.id.toString()))
    expect(yielded).toBe(3)
    expect(aborted).toBe(true)
  })

  it('skips excluded peers and duplicates, and ends quietly when the lookup times out', async () => {
    const all = await peers(3)
    const dht = {
      async * findProviders (_key: CID, options: AbortOptions = {}) {
        yield { name: 'PROVIDER', providers: [all[0]!, all[0]!, all[1]!] }
        yield { name: 'PEER_RESPONSE' }
        await new Promise((resolve, reject) => { options.signal?.addEventListener('abort', () => { reject(options.signal?.reason) }) })
      }
    }
    const found = []
    const started = performance.now()
    for await (const holder of findHolders(dht, UNIT, { enough: 5, timeoutMs: 200, exclude: peer => peer.equals(all[1]!.id) })) found.push(holder)
    expect(found.map(p => p.id.toString())).toEqual([all[0]!.id.toString()])
    expect(performance.now() - started).toBeLessThan(2_000)
  })
})

describe('Announcer', () => {
  function fakeDht (): { provided: string[], provide: (key: CID) => AsyncIterable<unknown> } {
    const provided: string[] = []
    return {
      provided,
      async * provide (key: CID) { provided.push(key.toString()); yield { name: 'FINAL_PEER' } }
    }
  }

  it('announces discovery keys, never the unit CID', async () => {
    const dht = fakeDht()
    const announcer = new Announcer({ dht, logger })
    announcer.start()
    expect(await announcer.announce(UNIT)).toBe(true)
    await announcer.stop()
    expect(dht.provided).toEqual([discoveryCid(UNIT).toString()])
    expect(announcer.published).toBe(1)
  })

  it('re-announces every held unit each interval, and forgets removed ones', async () => {
    const dht = fakeDht()
    const other = dagCborCid(new TextEncoder().encode('another unit'))
    const announcer = new Announcer({ dht, logger }, { reannounceIntervalMs: 50 })
    announcer.start()
    await announcer.announce(UNIT)
    await announcer.announce(other)
    announcer.forget(other)
    // Wait on the announcements themselves, not on time.
    while (dht.provided.filter(k => k === discoveryCid(UNIT).toString()).length < 3) {
      await new Promise(resolve => setImmediate(resolve))
    }
    await announcer.stop()
    expect(dht.provided.filter(k => k === discoveryCid(other).toString())).toHaveLength(1)
  })

  it('reports a failed announcement without throwing', async () => {
    const announcer = new Announcer({ dht: { async * provide () { throw new Error('no peers') } }, logger })
    announcer.start()
    expect(await announcer.announce(UNIT)).toBe(false)
    await announcer.stop()
  })
})
