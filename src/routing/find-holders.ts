import type { AbortOptions, PeerId, PeerInfo } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { discoveryCid } from './discovery-key.js'
import { deadline } from '../util/index.js'
import { ENOUGH_HOLDERS, LOOKUP_TIMEOUT_MS } from './constants.js'

/** What lookups need from the DHT. */
export interface ProviderSource {
  findProviders(key: CID, options?: AbortOptions): AsyncIterable<{ name: string, providers?: PeerInfo[] }>
}

export interface FindHoldersOptions extends AbortOptions {
  /** Stop the lookup once this many distinct holders have answered. Default 3. */
  enough?: number
  /** Give up after this long. Default 15 s. */
  timeoutMs?: number
  /** Peers to leave out (ourselves, peers already known). */
  exclude?: (peer: PeerId) => boolean
}

/**
 * Yield the holders of a unit (root or segment) as the DHT finds them,
 * stopping the query as soon as `enough` have answered: a fetch can start on
 * the first holder while the lookup goes on for the others.
 */
export async function * findHolders (dht: ProviderSource, unit: CID, options: FindHoldersOptions = {}): AsyncGenerator<PeerInfo> {
  const enough = options.enough ?? ENOUGH_HOLDERS
  const stop = new AbortController()
  const signal = deadline(options.timeoutMs ?? LOOKUP_TIMEOUT_MS, stop.signal, options.signal)
  const seen = new Set<string>()
  try {
    for await (const event of dht.findProviders(discoveryCid(unit), { signal })) {
      if (event.name !== 'PROVIDER' || event.providers === undefined) continue
      for (const provider of event.providers) {
        const key = provider.id.toString()
        if (seen.has(key) || options.exclude?.(provider.id) === true) continue
        seen.add(key)
        yield provider
        if (seen.size >= enough) return
      }
    }
  } catch (err) {
    // Running out of time is the normal end of a lookup that found fewer than `enough`.
    if (options.signal?.aborted === true) throw err
    if ((err as Error).name !== 'AbortError' && (err as Error).name !== 'TimeoutError') throw err
  } finally {
    stop.abort()
  }
}
