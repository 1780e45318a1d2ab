/**
 * An operator's numbers: libp2p's own metrics through
 * `@libp2p/prometheus-metrics`, plus Veil's counters and gauges, in one
 * Prometheus registry. Everything Veil adds is read when scraped (collect
 * callbacks), never on a timer of its own.
 */
import { Registry, Counter, Gauge } from 'prom-client'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import type { Metrics } from '@libp2p/interface'
import type { VeilNode } from '../node/index.js'

export interface VeilMetricsInit {
  /** Also collect Node's process metrics (CPU, memory, event-loop lag). Default true. */
  processMetrics?: boolean
}

export class VeilMetrics {
  readonly registry = new Registry()
  private node: VeilNode | undefined
  /** `node.status()` is read once per scrape, shared by every gauge below. */
  private status: ReturnType<VeilNode['status']> | undefined

  constructor (private readonly init: VeilMetricsInit = {}) {}

  /** The libp2p metrics implementation to give `VeilNodeInit.libp2pMetrics`. */
  libp2p (): (components: any) => Metrics {
    return prometheusMetrics({ registry: this.registry, collectDefaultMetrics: this.init.processMetrics ?? true, preserveExistingMetrics: false }) as (components: any) => Metrics
  }

  /** Register Veil's own metrics, read from `node` at each scrape. */
  attach (node: VeilNode): void {
    this.node = node
    const r = [this.registry]
    const counters = node.counters
    const counter = (name: string, help: string, read: () => number): void => {
      // A counter whose value is read from the node when scraped.
      new Counter({ name, help, registers: r, collect () { this.reset(); this.inc(read()) } })
    }
    counter('veil_blocks_served_total', 'Blocks read from the store to answer peers (WANT and PROVE)', () => counters.blocksServed)
    counter('veil_bytes_served_total', 'Bytes of blocks read to answer peers', () => counters.bytesServed)
    counter('veil_blocks_received_total', 'Blocks fetched from peers and verified', () => counters.blocksFetched)
    counter('veil_bytes_received_total', 'Bytes of blocks fetched from peers and verified', () => counters.bytesFetched)
    counter('veil_pushes_accepted_total', 'PUTs this storage node admitted', () => counters.pushesAccepted)
    counter('veil_pushed_blocks_stored_total', 'Blocks pushes stored durably', () => counters.blocksStored)
    counter('veil_pushed_bytes_stored_total', 'Bytes of blocks pushes stored durably', () => counters.bytesStored)
    new Counter({
      name: 'veil_pushes_refused_total',
      help: 'PUTs refused at their header, by reason (Quota, PeerQuota, NotAccepting, DiskFull, Busy, …)',
      labelNames: ['reason'],
      registers: r,
      collect () {
        this.reset()
        for (const [reason, count] of counters.pushesRefused) this.inc({ reason }, count)
      }
    })
    counter('veil_refused_connections_total', 'Inbound connections turned away (wrong or missing swarm key, not on the allow-list, failed handshakes)', () => node.refusals.total)

    const gauge = (name: string, help: string, read: (status: Awaited<ReturnType<VeilNode['status']>>) => number | undefined): void => {
      const metrics = this
      new Gauge({
        name,
        help,
        registers: r,
        async collect () {
          const value = read(await metrics.snapshot())
          if (value === undefined) this.reset()
          else this.set(value)
        }
      })
    }
    gauge('veil_store_blocks', 'Blocks in the local store', s => s.store.blocks)
    gauge('veil_store_bytes', 'Bytes in the local store', s => s.store.bytes)
    gauge('veil_storage_capacity_bytes', 'Space this storage node gives the swarm (its quota)', s => s.storage?.capacity)
    gauge('veil_storage_used_bytes', 'Space used of that quota', s => s.storage?.used)
    gauge('veil_storage_units', 'Units (roots, segments) this storage node holds', s => s.storage?.units)
    gauge('veil_repair_backlog_units', 'Units the last repair pass found under-replicated and could not repair', s => s.storage?.repairBacklog)
    gauge('veil_last_repair_timestamp_seconds', 'When the last repair pass ended (Unix time)', s => s.storage?.lastRepair == null ? undefined : s.storage.lastRepair.at / 1000)
    gauge('veil_last_repair_copies_added', 'Copies the last repair pass added', s => s.storage?.lastRepair?.copiesAdded)
    gauge('veil_announced_units', 'Units this node announces as their holder', s => s.announced)
    gauge('veil_dht_peers', 'Peers in the DHT routing table', s => s.dhtPeers)
    new Gauge({
      name: 'veil_connections',
      help: 'Open connections, by how they run: direct or relayed (through a circuit relay)',
      labelNames: ['path'],
      registers: r,
      collect () {
        let relayed = 0
        let direct = 0
        for (const conn of node.libp2p.getConnections()) {
          if (conn.remoteAddr.toString().includes('/p2p-circuit')) relayed++
          else direct++
        }
        this.set({ path: 'direct' }, direct)
        this.set({ path: 'relayed' }, relayed)
      }
    })
    new Gauge({
      name: 'veil_relay_reservations',
      help: 'Peers this node relays for (circuit relay v2 reservations held)',
      registers: r,
      collect () {
        const relay = (node.libp2p.services as Record<string, unknown>).relay as { reservations?: { size: number } } | undefined
        this.set(relay?.reservations?.size ?? 0)
      }
    })
  }

  /** The Prometheus text of every metric. */
  async scrape (): Promise<string> {
    try {
      return await this.registry.metrics()
    } finally {
      this.status = undefined
    }
  }

  get contentType (): string {
    return this.registry.contentType
  }

  private async snapshot (): Promise<Awaited<ReturnType<VeilNode['status']>>> {
    if (this.node === undefined) throw new Error('no node attached')
    this.status ??= this.node.status()
    return await this.status
  }
}
