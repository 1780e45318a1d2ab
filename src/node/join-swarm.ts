import { multiaddr } from '@multiformats/multiaddr'
import { TimeoutError, type AbortOptions, type Connection } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { InputError } from '../errors.js'
import type { VeilServices } from './types.js'
import { waitFor } from './wait.js'
import { NotVeilNodeError, dialFailureKind, pause } from './dial-failure.js'
import { anySignal } from '../util/index.js'
import { routingTableOf } from './libp2p-options.js'

/** How long to wait for the DHT before identifying the bootstrap peers again. */
const REIDENTIFY_AFTER_MS = 4_000
/** First pause before dialling unreachable bootstrap peers again; it doubles up to MAX_REDIAL_MS. */
const FIRST_REDIAL_MS = 250
const MAX_REDIAL_MS = 2_000
/** Rounds of dialling again after a broken handshake (another swarm key will not change; a loaded machine may). */
const HANDSHAKE_RETRIES = 2

interface Identify { identify: (connection: Connection, options?: AbortOptions) => Promise<unknown> }

export interface JoinOptions extends AbortOptions {
  reidentifyAfterMs?: number
  /** The DHT protocol a Veil peer of this swarm speaks (to tell "not a Veil node" apart). */
  dhtProtocol?: string
}

/**
 * Dial the bootstrap peers and wait until the DHT knows at least one peer,
 * so the first lookup or announcement does not run against an empty table.
 * Everything happens within `timeoutMs`.
 *
 * - Unreachable bootstrap peers (refused, no route, no answer) are dialled
 *   again after growing pauses (250 ms doubling to 2 s) until the deadline:
 *   a peer that is restarting comes back. A peer that broke off the
 *   handshake (another swarm key) is not retried: that will not change.
 * - The DHT learns a peer only from identify (which tells it the peer speaks
 *   the DHT protocol). Identify runs once per connection and gives up after a
 *   few seconds; on a machine that is briefly overloaded it can miss, so every
 *   few seconds without a DHT peer the bootstrap connections are identified
 *   again.
 * - At the deadline the error says what was tried: every address unreachable
 *   (InputError, with each dial error as its cause), a peer that is not a
 *   Veil node of this swarm (identify listed other protocols:
 *   NotVeilNodeError), or connected but the DHT learned no peer (TimeoutError).
 */
export async function joinSwarm (libp2p: Libp2p<VeilServices>, bootstrap: string[], timeoutMs: number, options: JoinOptions = {}): Promise<void> {
  const started = Date.now()
  const deadline = started + timeoutMs
  let connections = await dialUntilConnected(libp2p, bootstrap, deadline, timeoutMs, options)
  let misses = 0
  const table = routingTableOf(libp2p.services.dht) ?? { size: 0 }
  // kad-dht's routing table is an event target ('peer:add'), though its public type only shows `size`;
  // were it not, each wait below would end at its time-out and look again.
  const tableEvents = table instanceof EventTarget ? table : new EventTarget()
  const identify = libp2p.services.identify as Identify | undefined
  for (;;) {
    const left = deadline - Date.now()
    try {
      await waitFor(tableEvents, ['peer:add'], () => table.size > 0, Math.max(1, Math.min(left, options.reidentifyAfterMs ?? REIDENTIFY_AFTER_MS)), 'the DHT to learn its first peer', options.signal)
      return
    } catch (err) {
      if (!(err instanceof TimeoutError)) throw err
      if (Date.now() >= deadline) {
        const stranger = await notVeil(libp2p, connections, options.dhtProtocol)
        if (stranger !== undefined) throw stranger
        throw new TimeoutError(`timed out after ${timeoutMs} ms waiting for the DHT to learn its first peer (connected to ${connections.length} of ${bootstrap.length} bootstrap peers, which did not answer as Veil nodes in time: the machine or the peers may be overloaded; wait longer with --join-timeout)`)
      }
    }
    misses++
    if (misses % 3 === 0) {
      // Identified again and again, still no DHT peer: kad-dht adds a peer when a connection
      // opens (and checks it with a ping), so on a loaded machine a missed check stays missed
      // for that connection's life. Measured: 1 join in 60 waited 120 s that way. Connect anew.
      await Promise.all(connections.map(async c => { await Promise.resolve().then(async () => { await c.close() }).catch(() => {}) }))
      connections = await dialUntilConnected(libp2p, bootstrap, deadline, timeoutMs, options)
      continue
    }
    await Promise.all(connections.filter(c => c.status === 'open').map(async c => await identify?.identify(c, { signal: options.signal }).catch(() => {})))
  }
}

/** Dial every bootstrap address, again after growing pauses while all are unreachable, until one connects or the deadline. */
async function dialUntilConnected (libp2p: Libp2p<VeilServices>, bootstrap: string[], deadline: number, timeoutMs: number, options: JoinOptions): Promise<Connection[]> {
  let delay = FIRST_REDIAL_MS
  let rounds = 0
  for (;;) {
    rounds++
    const signal = anySignal(options.signal, AbortSignal.timeout(Math.max(1, deadline - Date.now())))
    const results = await Promise.allSettled(bootstrap.map(async addr => await libp2p.dial(multiaddr(addr), { signal })))
    const connections = results.flatMap(r => r.status === 'fulfilled' ? [r.value] : [])
    if (connections.length > 0) return connections
    options.signal?.throwIfAborted()
    const errors = results.map(r => r.status === 'rejected' ? r.reason as unknown : undefined)
    // Unreachable peers may be restarting: try until the deadline. A broken handshake is what
    // another swarm key does, but also what an overloaded machine does to a handshake
    // (measured: "Encryption failed", 1 join in 60 at load 20): try a couple of times more.
    const retry = errors.every(err => dialFailureKind(err) === 'unreachable') || rounds <= HANDSHAKE_RETRIES
    if (!retry || Date.now() + delay >= deadline) {
      const reason = errors[0] instanceof Error ? errors[0].message : String(errors[0] ?? 'unknown')
      // Each address with why it failed, for callers that explain it better (a swarm key mismatch).
      const failures = errors.map((error, i) => ({ address: bootstrap[i]!, error }))
      const tried = rounds > 1 ? ` (dialled ${rounds} times over ${((Date.now() - (deadline - timeoutMs)) / 1000).toFixed(1)} s; --join-timeout waits longer)` : ''
      throw new InputError(`could not reach any bootstrap peer (${bootstrap.length} tried; first error: ${reason}): check the addresses and that those nodes are running${tried}`, {
        cause: new AggregateError(failures, 'every bootstrap dial failed')
      })
    }
    await pause(delay, options.signal)
    delay = Math.min(delay * 2, MAX_REDIAL_MS)
  }
}

/** A bootstrap peer that identified itself without this swarm's DHT protocol: not a Veil node (of this swarm). */
async function notVeil (libp2p: Libp2p<VeilServices>, connections: Connection[], dhtProtocol: string | undefined): Promise<NotVeilNodeError | undefined> {
  if (dhtProtocol === undefined || (libp2p as { peerStore?: unknown }).peerStore === undefined) return undefined
  for (const connection of connections) {
    const protocols = await libp2p.peerStore.get(connection.remotePeer).then(peer => peer.protocols, (): string[] => [])
    if (protocols.length > 0 && !protocols.includes(dhtProtocol)) return new NotVeilNodeError(connection.remoteAddr.toString(), protocols, dhtProtocol)
  }
  return undefined
}
