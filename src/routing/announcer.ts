import type { AbortOptions, ComponentLogger, Logger, Startable } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import PQueue from 'p-queue'
import { discoveryCid } from './discovery-key.js'
import { deadline } from '../util/index.js'
import { ANNOUNCE_CONCURRENCY, ANNOUNCE_TIMEOUT_MS, REANNOUNCE_INTERVAL_MS } from './constants.js'

/** What the announcer needs from the DHT. */
export interface ProvideTarget {
  provide(key: CID, options?: AbortOptions): AsyncIterable<unknown>
}

export interface AnnouncerInit {
  /** Re-announce everything this often, well inside a record's lifetime. Default 12 h. */
  reannounceIntervalMs?: number
  /** Announcements running at once. Default 4. */
  concurrency?: number
  /** Deadline for one announcement. Default 60 s. */
  timeoutMs?: number
}

export interface AnnouncerComponents {
  /** The DHT the records go to. */
  dht: ProvideTarget
  logger: ComponentLogger
}

/**
 * Announces the discovery keys of the units (roots and segments) this node
 * holds, and announces them again every `reannounceIntervalMs` so records
 * never expire while the node keeps the data (the DHT keeps provider records
 * for 48 h; re-announcing every 12 h leaves three chances). Records are
 * written under D = SHA-256("veil/v1/disc" ‖ CID) only — never the CID, never
 * a key, and never one record per block.
 */
export class Announcer implements Startable {
  private readonly held = new Map<string, CID>()
  private readonly queue: PQueue
  private readonly interval: number
  private readonly timeoutMs: number
  private readonly dht: ProvideTarget
  private readonly log: Logger
  private timer: ReturnType<typeof setInterval> | undefined
  private stopping = new AbortController()
  private started = false
  /** provide() calls made, for tests and the benchmark's records-per-GiB figure. */
  published = 0

  constructor (components: AnnouncerComponents, init: AnnouncerInit = {}) {
    this.dht = components.dht
    this.log = components.logger.forComponent('veil:announce')
    this.interval = init.reannounceIntervalMs ?? REANNOUNCE_INTERVAL_MS
    this.timeoutMs = init.timeoutMs ?? ANNOUNCE_TIMEOUT_MS
    this.queue = new PQueue({ concurrency: init.concurrency ?? ANNOUNCE_CONCURRENCY })
  }

  readonly [Symbol.toStringTag] = 'veil:announcer'

  start (): void {
    this.stopping = new AbortController()
    this.timer = setInterval(() => { void this.reannounceAll() }, this.interval)
    this.timer.unref()
    this.started = true
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    this.stopping.abort()
    this.queue.clear()
    await this.queue.onIdle()
    this.started = false
  }

  isStarted (): boolean {
    return this.started
  }

  /** Units being announced. */
  get size (): number {
    return this.held.size
  }

  /**
   * Remember a unit and announce it now. Resolves when the DHT accepted the
   * record (or the announcement failed; failures are logged and retried at
   * the next round, since the data is still served to anyone who asks).
   */
  async announce (cid: CID, options: AbortOptions = {}): Promise<boolean> {
    this.held.set(cid.toString(), cid)
    return await this.provide(cid, options)
  }

  /** Stop re-announcing a unit (its data was removed). */
  forget (cid: CID): void {
    this.held.delete(cid.toString())
  }

  async reannounceAll (): Promise<void> {
    await Promise.all([...this.held.values()].map(async cid => await this.provide(cid)))
  }

  private async provide (cid: CID, options: AbortOptions = {}): Promise<boolean> {
    return await this.queue.add(async () => {
      const signal = deadline(this.timeoutMs, this.stopping.signal, options.signal)
      try {
        for await (const _ of this.dht.provide(discoveryCid(cid), { signal })) { /* drain the query */ }
        this.published++
        this.log.trace('announced unit %c', cid)
        return true
      } catch (err) {
        if (!this.stopping.signal.aborted && options.signal?.aborted !== true) this.log('could not announce unit %c: %e', cid, err)
        return false
      }
    }) ?? false
  }
}

export function announcer (init: AnnouncerInit = {}): (components: AnnouncerComponents) => Announcer {
  return (components) => new Announcer(components, init)
}
