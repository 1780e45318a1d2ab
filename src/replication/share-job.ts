import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import PQueue from 'p-queue'
import { CustomProgressEvent, type ProgressEvent } from 'progress-events'
import type { BlockStore } from '../blockstore/index.js'
import type { BlockSink } from '../importer/index.js'
import { decodeUnitNode, type NodeRef } from '../format/index.js'
import { placeUnit, pushUnit, type ChainPlacementOptions, type PlacedCopy, type PlacementNetwork } from './placement.js'
import { shareUnits } from './share-units.js'
import { failureReason } from '../util/index.js'

/**
 * Placement, unit by unit: `queued` when a sealed unit waits for its copies
 * (`bytes` per copy, `copies` to push), `push` when a storage node
 * acknowledged a PUT of `bytes` (along a chain: one event per node of the
 * chain that holds the PUT), `done` when the unit has what it could get.
 */
export type PlacementProgressEvents =
  ProgressEvent<'veil:share:place:queued', { unit: CID, bytes: number, copies: number }> |
  ProgressEvent<'veil:share:place:push', { unit: CID, peer: string, bytes: number, blocks: number }> |
  ProgressEvent<'veil:share:place:done', { unit: CID, copies: number, wanted: number, failures: number }>

export interface ShareJobInit {
  store: BlockStore
  network: PlacementNetwork
  /** Copies wanted on storage nodes (0: place nothing). */
  replicas: number
  /** This node is itself a storage node: its copy counts as one. */
  selfIsStorage: boolean
  self: PeerId
  /** Announce units from this node (it keeps and serves them). */
  announce?: (unit: CID) => Promise<boolean>
  /** Record a unit this storage node now holds (lease, index); resolves with its lease end. */
  holdLocally?: (unit: NodeRef) => Promise<number>
  /** The share expires then (ms since the epoch): every copy gets it as a hard expiry. */
  expires?: number
  /**
   * Push each unit once, along a chain of the storage nodes that take it
   * (chain replication), topping up with direct pushes what the chain did
   * not place. Default true; false pushes to each node directly.
   */
  chain?: boolean
  log: Logger
  options: AbortOptions
  onProgress?: (event: PlacementProgressEvents) => void
}

export interface UnitPlacement {
  unit: CID
  /** Durable copies acknowledged by storage nodes (this node's own when it is one). */
  copies: number
  /** The earliest time any of those copies may be collected (ms since the epoch); undefined without copies. */
  keptUntil?: number
  /** The storage nodes that took it (this node's own copy not included). */
  holders: PlacedCopy[]
  failures: string[]
}

/**
 * One share's trip into the swarm: as each unit (segment, index node, root)
 * is sealed and stored locally, it is placed on the R storage nodes closest
 * to its discovery key — while the next unit is still being sealed — and,
 * when this node keeps a copy, announced. `finish` waits for every unit.
 */
export class ShareJob {
  readonly placements: UnitPlacement[] = []
  /** Every block of the share (unit nodes included), for a light client's clean-up. */
  readonly blocks: CID[] = []
  private readonly queue = new PQueue({ concurrency: 2 })
  private readonly announcements: Array<Promise<boolean>> = []
  /** Once one unit came up short even after looking again, later units do not wait to look again. */
  private rediscover = true
  /** Sizes of blocks stored but not yet part of a finished unit (at most a segment's), for progress. */
  private readonly sizes = new Map<string, number>()
  /** Chain replication's state for the whole share (nodes found not to forward), or undefined without it. */
  private readonly chain: ChainPlacementOptions | undefined

  constructor (private readonly init: ShareJobInit) {
    this.chain = init.chain === false ? undefined : { unsupported: new Set() }
  }

  get sink (): BlockSink {
    return {
      putMany: async (blocks, options) => {
        if (this.init.onProgress === undefined) {
          await this.init.store.putMany(blocks, options)
          return
        }
        const list = [...blocks]
        for (const block of list) this.sizes.set(block.cid.toString(), block.bytes.length)
        await this.init.store.putMany(list, options)
      },
      segmentDone: async (unit) => { this.unitDone(unit) }
    }
  }

  /** Bytes of a unit's blocks and node (what one copy pushes), forgetting them. */
  private unitBytes (unit: NodeRef): number {
    let bytes = 0
    for (const cid of [...(unit.height === 0 ? unit.children : []), unit.cid]) {
      const key = cid.toString()
      bytes += this.sizes.get(key) ?? 0
      this.sizes.delete(key)
    }
    return bytes
  }

  /** The network, telling progress of every acknowledged push for `unit`. */
  private reportingNetwork (unit: CID): PlacementNetwork {
    const { network, onProgress } = this.init
    if (onProgress === undefined) return network
    return {
      ...network,
      push: async (peer, put, opts) => {
        const reply = await network.push(peer, put, opts)
        const bytes = put.blocks.reduce((sum, block) => sum + block.bytes.length, 0)
        if (!reply.admitted) return reply
        onProgress(new CustomProgressEvent('veil:share:place:push', { unit, peer: peer.toString(), bytes, blocks: put.blocks.length }))
        reply.chain?.forEach((hop, i) => {
          if (hop.ok) onProgress(new CustomProgressEvent('veil:share:place:push', { unit, peer: put.chain![i]!.toString(), bytes, blocks: put.blocks.length }))
        })
        return reply
      }
    }
  }

  private unitDone (unit: NodeRef): void {
    const { init } = this
    if (unit.height === 0) this.blocks.push(...unit.children)
    this.blocks.push(unit.cid)
    if (init.onProgress !== undefined) {
      const held = init.selfIsStorage && init.holdLocally !== undefined ? 1 : 0
      const copies = Math.max(0, init.replicas - held)
      init.onProgress(new CustomProgressEvent('veil:share:place:queued', { unit: unit.cid, bytes: this.unitBytes(unit), copies }))
    }
    void this.queue.add(async () => {
      const failures: string[] = []
      const leases: number[] = []
      const holders: PlacedCopy[] = []
      let copies = 0
      if (init.selfIsStorage && init.holdLocally !== undefined) {
        leases.push(await init.holdLocally(unit))
        copies++
      }
      if (init.announce !== undefined) this.announcements.push(init.announce(unit.cid))
      if (init.replicas > copies) {
        const result = await placeUnit(
          { cid: unit.cid, blocks: unit.height === 0 ? unit.children : [] },
          async (cid, opts) => await init.store.get(cid, opts),
          this.reportingNetwork(unit.cid),
          init.log,
          { ...init.options, replicas: init.replicas, holders: copies > 0 ? [init.self] : [], expires: init.expires, rediscoverMs: this.rediscover ? undefined : [], chain: this.chain }
        )
        if (copies + result.placed.length < init.replicas) this.rediscover = false
        copies += result.placed.length
        holders.push(...result.placed)
        leases.push(...result.placed.map(copy => copy.keptUntil))
        failures.push(...result.failed.map(f => `${f.peer.toString()}: ${f.reason}`))
      }
      this.placements.push({ unit: unit.cid, copies, keptUntil: leases.length === 0 ? undefined : Math.min(...leases), holders, failures })
      init.onProgress?.(new CustomProgressEvent('veil:share:place:done', { unit: unit.cid, copies, wanted: init.replicas, failures: failures.length }))
    }).catch((err: unknown) => {
      this.placements.push({ unit: unit.cid, copies: 0, holders: [], failures: [failureReason(err)] })
      init.onProgress?.(new CustomProgressEvent('veil:share:place:done', { unit: unit.cid, copies: 0, wanted: init.replicas, failures: 1 }))
    })
  }

  /**
   * Storage nodes keep a segment or index node only provisionally (a short
   * lease) until they see a share root list it — junk pushed on its own has
   * none. Segments are placed before their root exists, so once every unit
   * is placed, tell each storage node that took one its path from the root:
   * it checks the path and grants the full lease. A copy whose node does not
   * take the path is no lasting copy, and is not counted.
   */
  private async confirmPaths (): Promise<void> {
    const { init } = this
    const byUnit = new Map(this.placements.map(p => [p.unit.toString(), p]))
    const read = async (cid: CID, opts?: AbortOptions): Promise<Uint8Array> => await init.store.get(cid, opts)
    const confirmations = new PQueue({ concurrency: 4 })
    const tasks: Array<Promise<void>> = []
    for (const placement of this.placements) {
      const node = decodeUnitNode(await read(placement.unit))
      if (node.kind !== 'root' || node.height === 0) continue
      for await (const { unit, path } of shareUnits(placement.unit, read, init.options)) {
        const below = byUnit.get(unit.toString())
        if (path.length === 0 || below === undefined || below.holders.length === 0) continue
        tasks.push(confirmations.add(async () => {
          const leases = await Promise.all(below.holders.map(async copy => {
            const outcome = await pushUnit(copy.peer, { cid: unit, blocks: [] }, read, init.network, { ...init.options, replicas: 1, renewOnly: true, path, expires: init.expires })
            if (outcome.placed) return outcome.keptUntil
            below.failures.push(`${copy.peer.toString()}: did not take the unit's path from its root (${outcome.reason})`)
            return undefined
          }))
          const lasting = leases.filter((lease): lease is number => lease !== undefined)
          below.copies -= leases.length - lasting.length
          below.keptUntil = below.copies === 0 ? undefined : Math.min(below.keptUntil ?? Infinity, ...lasting)
        }))
      }
    }
    await Promise.all(tasks)
  }

  /** Wait for every unit's placement and announcement. */
  async finish (): Promise<{ replicas: number, keptUntil?: number, announced: number, announceFailures: number }> {
    await this.queue.onIdle()
    await this.confirmPaths()
    const outcomes = await Promise.all(this.announcements)
    const replicas = this.placements.length === 0 ? 0 : Math.min(...this.placements.map(p => p.copies))
    const leases = this.placements.map(p => p.keptUntil)
    const keptUntil = leases.length === 0 || leases.includes(undefined) ? undefined : Math.min(...leases as number[])
    return { replicas, keptUntil, announced: outcomes.length, announceFailures: outcomes.filter(ok => !ok).length }
  }
}
