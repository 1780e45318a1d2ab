import { multiaddr } from '@multiformats/multiaddr'
import { TimeoutError, type AbortOptions } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { InputError } from '../errors.js'
import type { VeilServices } from './types.js'
import { waitFor } from './wait.js'
import { routingTableOf } from './libp2p-options.js'

/** How long to wait for the DHT before identifying the bootstrap peers again. */
const REIDENTIFY_AFTER_MS = 4_000

/**
 * Dial the bootstrap peers and wait until the DHT knows at least one peer,
 * so the first lookup or announcement does not run against an empty table.
 *
 * The DHT learns a peer only from identify (which tells it the peer speaks
 * the DHT protocol). Identify runs once per connection and gives up after a
 * few seconds; on a machine that is briefly overloaded it can miss, and the
 * node would wait out the whole timeout with a live connection. So every
 * few seconds without a DHT peer, the bootstrap connections are identified
 * again.
 */
export async function joinSwarm (libp2p: Libp2p<VeilServices>, bootstrap: string[], timeoutMs: number, options: AbortOptions & { reidentifyAfterMs?: number } = {}): Promise<void> {
  const results = await Promise.allSettled(bootstrap.map(async addr => await libp2p.dial(multiaddr(addr), options)))
  const connections = results.flatMap(r => r.status === 'fulfilled' ? [r.value] : [])
  if (connections.length === 0) {
    const reason = results[0]?.status === 'rejected' ? (results[0].reason as Error).message : 'unknown'
    // Each address with why it failed, for callers that explain it better (a swarm key mismatch).
    const failures = results.map((r, i) => ({ address: bootstrap[i]!, error: r.status === 'rejected' ? r.reason as unknown : undefined }))
    throw new InputError(`could not reach any bootstrap peer (${bootstrap.length} tried; first error: ${reason}): check the addresses and that those nodes are running`, {
      cause: new AggregateError(failures, 'every bootstrap dial failed')
    })
  }
  const table = routingTableOf(libp2p.services.dht) ?? { size: 0 }
  // kad-dht's routing table is an event target ('peer:add'), though its public type only shows `size`;
  // were it not, each wait below would end at its time-out and look again.
  const tableEvents = table instanceof EventTarget ? table : new EventTarget()
  const identify = libp2p.services.identify
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const left = deadline - Date.now()
    try {
      await waitFor(tableEvents, ['peer:add'], () => table.size > 0, Math.max(1, Math.min(left, options.reidentifyAfterMs ?? REIDENTIFY_AFTER_MS)), 'the DHT to learn its first peer', options.signal)
      return
    } catch (err) {
      if (!(err instanceof TimeoutError)) throw err
      if (Date.now() >= deadline) throw new TimeoutError(`timed out after ${timeoutMs} ms waiting for the DHT to learn its first peer`)
    }
    await Promise.all(connections.filter(c => c.status === 'open').map(async c => await identify.identify(c, { signal: options.signal }).catch(() => {})))
  }
}
