/**
 * The relay server is a new reader of network bytes: every peer may ask it
 * for a reservation and for circuits. Bounded by circuit relay v2's own
 * limits, set in src/node/nat.ts: at most `maxReservations` peers hold a
 * slot at once (the rest are refused), HOP requests answered within 10 s, 8
 * at once per connection. Here 10 peers (fresh identities) ask a relay that
 * serves 4: 4 get a slot, the other 6 are refused, and the relay still
 * serves its swarm.
 */
import { describe, it, expect, onTestFinished } from 'vitest'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { multiaddr } from '@multiformats/multiaddr'
import { startNode, addressOf } from '../helpers/swarm.js'

describe('attacks on the relay server', () => {
  it('a flood of reservations gets at most maxReservations slots; the rest are refused', async () => {
    const relay = await startNode({ nat: { relayServer: true, maxReservations: 4 } })
    const outcomes = await Promise.all(Array.from({ length: 10 }, async () => {
      const peer = await createLibp2p({
        transports: [tcp(), circuitRelayTransport()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify() }
      })
      onTestFinished(async () => { await peer.stop() })
      const transports = (peer as unknown as { components: { transportManager: { listen: (a: unknown[]) => Promise<void> } } }).components.transportManager
      try {
        await transports.listen([multiaddr(`${addressOf(relay)}/p2p-circuit`)])
        return true
      } catch {
        return false // refused (or timed out on a loaded machine)
      }
    }))
    const reservations = (relay.libp2p.services as unknown as { relay: { reservations: { size: number } } }).relay.reservations.size
    expect(reservations).toBeLessThanOrEqual(4)
    // Not vacuous: the relay did serve, and every slot it holds is one a peer was told it got.
    expect(reservations).toBeGreaterThanOrEqual(1)
    expect(outcomes.filter(Boolean).length).toBe(reservations)
    // The relay still answers its swarm.
    const other = await startNode({ bootstrap: [addressOf(relay)], dhtServer: false, listen: [] })
    expect(await other.libp2p.services.ping.ping(relay.addresses()[0]!)).toBeGreaterThanOrEqual(0)
  }, 60_000)
})
