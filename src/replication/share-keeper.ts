import type { AbortOptions, ComponentLogger, Logger, Startable } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { MaintenanceNetwork } from './maintenance.js'
import { renewUnit } from './renewal.js'
import type { UnitInTree } from './share-units.js'
import type { ShareRecord, ShareRecords } from './share-records.js'
import { LOOKUP_TIMEOUT_MS, RENEW_EVERY_MS, REPLICAS } from './constants.js'
import { PeriodicTask } from '../util/index.js'

export interface ShareKeeperInit {
  /** Copies a unit should have. Default 3. */
  replicas?: number
  /** Renew a recorded share's leases this long after the last renewal; 0 never renews on a timer. Default 0 (a daemon sets it). */
  renewEveryMs?: number
  /** Holder look-up deadline per unit. Default 10 s. */
  lookupTimeoutMs?: number
}

export interface ShareKeeperComponents {
  /** Where this repo's own shares are recorded (absent for a node without a repo). */
  records?: ShareRecords
  network: MaintenanceNetwork
  /** A unit node's bytes: from the local store, else the swarm. */
  read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>
  logger: ComponentLogger
}

/** What a renewal reached. */
export interface RenewSummary {
  units: number
  /** The fewest holders any unit was renewed on. */
  copies: number
  /** Every renewed copy is kept at least until then (ms since the epoch); undefined when some unit was renewed nowhere. */
  keptUntil?: number
}

/**
 * Keeps the sharer's shares alive while its node runs: it records every
 * share the repo makes (root and units, no key) and, on a timer, renews the
 * leases of those due (see `dueAt`) on every holder that proves it holds
 * them, then dispatches a `renewed` event. `renew` does the same on demand
 * for any list of units.
 */
export class ShareKeeper extends EventTarget implements Startable {
  private readonly replicas: number
  private readonly renewEveryMs: number
  private readonly lookupTimeoutMs: number
  private readonly records: ShareRecords | undefined
  private readonly network: MaintenanceNetwork
  private readonly read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>
  private readonly log: Logger
  private readonly renewing: PeriodicTask | undefined
  private started = false

  constructor (components: ShareKeeperComponents, init: ShareKeeperInit = {}) {
    super()
    this.records = components.records
    this.network = components.network
    this.read = components.read
    this.log = components.logger.forComponent('veil:keep')
    this.replicas = init.replicas ?? REPLICAS
    this.renewEveryMs = init.renewEveryMs ?? RENEW_EVERY_MS
    this.lookupTimeoutMs = init.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS
    const every = this.renewEveryMs
    // Check often enough that a share is renewed within a tenth of the period of falling due.
    this.renewing = every <= 0 || this.records === undefined
      ? undefined
      : new PeriodicTask(async signal => { await this.renewDue(every, signal) }, Math.max(1_000, every / 10), err => { this.log.error('renewing shares failed: %e', err) })
  }

  readonly [Symbol.toStringTag] = 'veil:share-keeper'

  start (): void {
    this.started = true
    this.renewing?.start()
  }

  isStarted (): boolean {
    return this.started
  }

  async stop (): Promise<void> {
    await this.renewing?.stop()
    this.started = false
  }

  /** Record a share this repo made (`expires`: its hard expiry, past which it is not renewed). */
  async record (root: CID, units: CID[], keptUntil: number | undefined, expires?: number): Promise<void> {
    const now = Date.now()
    await this.records?.put({ root, sharedAt: now, renewedAt: now, keptUntil: keptUntil ?? 0, units, ...(expires === undefined ? {} : { expires }) })
  }

  /**
   * Renew the lease of each unit on every holder that proves it holds it
   * (with its path from the share root, when known, so a holder that still
   * keeps a segment provisionally learns it belongs to a share).
   */
  async renew (units: Array<CID | UnitInTree>, options: AbortOptions & { leaseUntil?: number, expires?: number } = {}): Promise<RenewSummary> {
    let copies = Infinity
    let keptUntil: number | undefined = Infinity
    for (const entry of units) {
      options.signal?.throwIfAborted()
      const { unit, path } = 'unit' in entry ? entry : { unit: entry, path: [] }
      const { renewed } = await renewUnit(unit, this.read, this.network, this.log, {
        ...options, replicas: this.replicas, lookupTimeoutMs: this.lookupTimeoutMs, path: path.length > 0 ? path : undefined
      })
      copies = Math.min(copies, renewed.length)
      keptUntil = renewed.length === 0 || keptUntil === undefined ? undefined : Math.min(keptUntil, ...renewed.map(copy => copy.keptUntil))
    }
    return { units: units.length, copies: units.length === 0 ? 0 : copies, keptUntil: units.length === 0 ? undefined : keptUntil }
  }

  /**
   * Renew every recorded share (`veil renew` with no link), or with `due`
   * only those due: `everyMs` after their last renewal, or halfway through
   * the lease they were last granted, whichever comes first (a storage node
   * may grant a shorter lease than ours). Records the outcome of each.
   */
  async renewRecorded (options: AbortOptions & { due?: { now: number, everyMs: number } } = {}): Promise<Array<RenewSummary & { root: CID }>> {
    const records = this.records
    if (records === undefined) return []
    const results: Array<RenewSummary & { root: CID }> = []
    for await (const record of records.all()) {
      // A share made to expire is not renewed once it has: its record goes (and `veil gc` may free its blocks).
      if (record.expires !== undefined && record.expires <= Date.now()) {
        await records.delete(record.root)
        continue
      }
      if (options.due !== undefined && options.due.now < dueAt(record, options.due.everyMs)) continue
      const summary = await this.renew(record.units, { ...options, expires: record.expires })
      await records.put({ ...record, renewedAt: Date.now(), keptUntil: summary.keptUntil ?? record.keptUntil })
      results.push({ ...summary, root: record.root })
    }
    return results
  }

  private async renewDue (every: number, signal: AbortSignal): Promise<void> {
    const renewed = await this.renewRecorded({ signal, due: { now: Date.now(), everyMs: every } })
    if (renewed.length === 0) return
    this.log('renewed the leases of %d shares', renewed.length)
    this.dispatchEvent(new CustomEvent('renewed', { detail: renewed }))
  }
}

export function shareKeeper (init: ShareKeeperInit = {}): (components: ShareKeeperComponents) => ShareKeeper {
  return (components) => new ShareKeeper(components, init)
}

/** When a recorded share should next be renewed. */
export function dueAt (record: ShareRecord, everyMs: number): number {
  const periodic = record.renewedAt + everyMs
  return record.keptUntil > record.renewedAt ? Math.min(periodic, (record.renewedAt + record.keptUntil) / 2) : periodic
}
