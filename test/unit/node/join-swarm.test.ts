import { describe, expect, it } from 'vitest'
import { TimeoutError } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { joinSwarm } from '../../../src/node/join-swarm.js'
import type { VeilServices } from '../../../src/node/types.js'

const BOOTSTRAP = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWKhnLZ2pr8viYTYy5h9wj8rNR2PGxRKWAJ71rpTvxceNZ'

/**
 * A libp2p whose dials succeed (or fail) and whose DHT routing table learns
 * a peer only when identify has run `learnOnIdentify` times: the first
 * identify of a connection "missed", as on an overloaded machine.
 */
function fakeLibp2p (opts: { dialFails?: boolean, learnOnIdentify: number }): { libp2p: Libp2p<VeilServices>, identifies: () => number } {
  const table = Object.assign(new EventTarget(), { size: 0 })
  let identifies = 0
  const connection = { status: 'open' }
  const libp2p = {
    dial: async () => { if (opts.dialFails === true) throw new Error('connect ECONNREFUSED 127.0.0.1:4001'); return connection },
    services: {
      dht: { routingTable: table },
      identify: {
        identify: async () => {
          if (++identifies === opts.learnOnIdentify) { table.size = 1; table.dispatchEvent(new Event('peer:add')) }
        }
      }
    }
  } as unknown as Libp2p<VeilServices>
  return { libp2p, identifies: () => identifies }
}

describe('joinSwarm', () => {
  it('identifies the bootstrap connection again when the DHT has not learned a peer, and then joins', async () => {
    const fake = fakeLibp2p({ learnOnIdentify: 2 })
    await joinSwarm(fake.libp2p, [BOOTSTRAP], 10_000, { reidentifyAfterMs: 20 })
    expect(fake.identifies()).toBe(2)
  })

  it('gives up with a timeout that says what it waited for', async () => {
    const fake = fakeLibp2p({ learnOnIdentify: Infinity })
    const joining = joinSwarm(fake.libp2p, [BOOTSTRAP], 200, { reidentifyAfterMs: 50 })
    await expect(joining).rejects.toThrow(TimeoutError)
    await expect(joining).rejects.toThrow(/waiting for the DHT to learn its first peer/)
    expect(fake.identifies()).toBeGreaterThanOrEqual(2)
  })

  it('says which bootstrap peer could not be reached and what to check', async () => {
    const fake = fakeLibp2p({ dialFails: true, learnOnIdentify: 1 })
    await expect(joinSwarm(fake.libp2p, [BOOTSTRAP], 1_000)).rejects.toThrow(/could not reach any bootstrap peer \(1 tried; first error: connect ECONNREFUSED.*check the addresses/)
  })
})

describe('joinSwarm on a loaded machine', () => {
  it('connects anew when identifying the same connection again does not help (kad-dht adds peers when a connection opens)', async () => {
    const table = Object.assign(new EventTarget(), { size: 0 })
    let dials = 0
    let closes = 0
    const libp2p = {
      dial: async () => {
        // The second connection is the one kad-dht's check of the new peer passes on.
        if (++dials === 2) setTimeout(() => { table.size = 1; table.dispatchEvent(new Event('peer:add')) }, 5)
        return { status: 'open', close: async () => { closes++ } }
      },
      services: { dht: { routingTable: table }, identify: { identify: async () => {} } }
    } as unknown as Libp2p<VeilServices>
    await joinSwarm(libp2p, [BOOTSTRAP], 10_000, { reidentifyAfterMs: 20 })
    expect(dials).toBe(2)
    expect(closes).toBe(1)
  })

  it('dials again after a broken handshake (an overloaded peer), a couple of times, then reports it', async () => {
    let dials = 0
    const libp2p = {
      dial: async () => { dials++; throw Object.assign(new Error('Encryption failed'), { name: 'EncryptionFailedError' }) },
      services: { dht: { routingTable: Object.assign(new EventTarget(), { size: 0 }) } }
    } as unknown as Libp2p<VeilServices>
    await expect(joinSwarm(libp2p, [BOOTSTRAP], 10_000)).rejects.toThrow(/could not reach any bootstrap peer \(1 tried; first error: Encryption failed\)/)
    expect(dials).toBe(3)
  })
})
