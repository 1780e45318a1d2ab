/**
 * The MaxListenersExceededWarning storage nodes printed ("11 abort listeners
 * added to [AbortSignal]"): a long-lived signal — a storage node's shutdown
 * signal during repair, a daemon request's, the CLI's Ctrl-C signal — was
 * handed as it was to every block exchange request, and from there to
 * libp2p's dial queue and stream negotiation, which hang listeners on it
 * until each dial and negotiation ends. Requests that fan out (repair and
 * placement push to R peers at once, path confirmation to 4 × R) on a loaded
 * machine, where dials are slow, put more than 10 on that one signal. Each
 * request now opens its stream under a signal of its own (the caller's
 * combined with a deadline). This test fans 12 requests out under one
 * signal to a peer not yet connected.
 */
import { describe, it, expect } from 'vitest'
import { getEventListeners } from 'node:events'
import { randomBytes } from 'node:crypto'
import { startNode, addressOf } from '../helpers/swarm.js'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'

describe('one signal shared by many block requests', () => {
  it('gets no listener from the requests (no MaxListenersExceededWarning), and still cancels them', async () => {
    const warnings: string[] = []
    const onWarning = (w: Error): void => { warnings.push(w.message) }
    process.on('warning', onWarning)
    try {
      const holder = await startNode()
      const asker = await startNode({ bootstrap: [addressOf(holder)] })
      const other = await startNode()
      const shared = new AbortController()
      const cid = CID.createV1(0x55, await sha256.digest(randomBytes(32)))
      let peak = 0
      const requests = Array.from({ length: 12 }, async () => {
        const proving = asker.exchange.prove(other.peerId, new Uint8Array(32), [cid], { signal: shared.signal })
        peak = Math.max(peak, getEventListeners(shared.signal, 'abort').length)
        return await proving
      })
      // `other` is not connected yet: every request waits on the same dial.
      await asker.libp2p.peerStore.merge(other.peerId, { multiaddrs: other.addresses() })
      const results = await Promise.allSettled(requests)
      peak = Math.max(peak, getEventListeners(shared.signal, 'abort').length)
      expect(results.every(r => r.status === 'fulfilled')).toBe(true)
      expect(warnings.filter(w => /abort listeners/.test(w))).toEqual([])
      expect(peak).toBeLessThanOrEqual(10)
      // Aborting the shared signal still stops requests under it.
      const late = asker.exchange.prove(holder.peerId, new Uint8Array(32), [cid], { signal: shared.signal })
      shared.abort(new Error('stopping'))
      await expect(late).rejects.toThrow()
    } finally {
      process.off('warning', onWarning)
    }
  }, 30_000)
})
