import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { closestTo } from './distance.js'
import type { MaintenanceNetwork } from './maintenance.js'
import { pushUnit, type PlacedCopy } from './placement.js'

export interface RenewOptions extends AbortOptions {
  /** Copies a unit should have: how many holders to look for (3× this) and storage nodes to ask directly (2×). */
  replicas: number
  /** Keep the unit until then (ms since the epoch); default: each node's full lease from now. */
  leaseUntil?: number
  /** How long the holder look-up may take. Default 10 s. */
  lookupTimeoutMs?: number
  /** The share's hard expiry, if it was made to expire: told again, never extended. */
  expires?: number
}

export interface UnitRenewal {
  unit: CID
  /** Holders that proved they hold the unit and renewed its lease. */
  renewed: PlacedCopy[]
}

/**
 * Renew a unit's lease on every holder that proves it holds it: the holders
 * the DHT names plus the known storage nodes closest to the unit. Each is
 * challenged for the unit node (which by push order means the whole unit)
 * and, if it proves it, sent the node again with the lease asked for —
 * never blocks, so renewing costs a few KiB per holder and needs only the
 * public unit node (a verify-only link is enough).
 */
export async function renewUnit (unit: CID, read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>, network: MaintenanceNetwork, log: Logger, options: RenewOptions & { path?: CID[] }): Promise<UnitRenewal> {
  const asked = new Map<string, PeerId>()
  for (const peer of closestTo(unit, await network.knownStoragePeers()).slice(0, options.replicas * 2)) asked.set(peer.toString(), peer)
  try {
    for await (const holder of network.findHolders(unit, { signal: options.signal, enough: options.replicas * 3, timeoutMs: options.lookupTimeoutMs ?? 10_000 })) {
      asked.set(holder.id.toString(), holder.id)
    }
  } catch (err) {
    if (options.signal?.aborted === true) throw err
    // a look-up that ends early still leaves the holders found so far
  }
  const renewed: PlacedCopy[] = []
  await Promise.all([...asked.values()].map(async peer => {
    const outcome = await pushUnit(peer, { cid: unit, blocks: [] }, read, network, { ...options, renewOnly: true })
    if (outcome.placed) renewed.push({ peer, keptUntil: outcome.keptUntil })
    else log.trace('not renewed on %p: %s', peer, outcome.reason)
  }))
  return { unit, renewed }
}
