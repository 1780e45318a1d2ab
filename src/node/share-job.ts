import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import PQueue from 'p-queue'
import { CustomProgressEvent, type ProgressEvent } from 'progress-events'
import type { BlockStore } from '../blockstore/interface.js'
import type { BlockSink } from '../importer/options.js'
import type { NodeRef } from '../format/tree.js'
import { placeUnit, type PlacementNetwork } from '../replication/placement.js'

/**
 * Placement, unit by unit: `queued` when a sealed unit waits for its copies
 * (`bytes` per copy, `copies` to push), `push` when a storage node
 * acknowledged a PUT of `bytes`, `done` when the unit has what it could get.
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
  /** Record a unit this storage node now holds (lease, index). */
  holdLocally?: (unit: NodeRef) => Promise<void>
  log: Logger
  options: AbortOptions
  onProgress?: (event: PlacementProgressEvents) => void
}

export interface UnitPlacement {
  unit: CID
  copies: number
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
  /** Sizes of blocks stored but not yet part of a finished unit (at most a segment's), for progress. */
  private readonly sizes = new Map<string, number>()

  constructor (private readonly init: ShareJobInit) {}

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
      push: async (peer, blocks, opts) => {
        const outcomes = await network.push(peer, blocks, opts)
        const bytes = blocks.reduce((sum, block) => sum + block.bytes.length, 0)
        onProgress(new CustomProgressEvent('veil:share:place:push', { unit, peer: peer.toString(), bytes, blocks: blocks.length }))
        return outcomes
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
      let copies = 0
      if (init.selfIsStorage && init.holdLocally !== undefined) {
        await init.holdLocally(unit)
        copies++
      }
      if (init.announce !== undefined) this.announcements.push(init.announce(unit.cid))
      if (init.replicas > copies) {
        const result = await placeUnit(
          { cid: unit.cid, blocks: unit.height === 0 ? unit.children : [] },
          async (cid, opts) => await init.store.get(cid, opts),
          this.reportingNetwork(unit.cid),
          init.log,
          { ...init.options, replicas: init.replicas, holders: copies > 0 ? [init.self] : [] }
        )
        copies += result.placed.length
        failures.push(...result.failed.map(f => `${f.peer.toString()}: ${f.reason}`))
      }
      this.placements.push({ unit: unit.cid, copies, failures })
      init.onProgress?.(new CustomProgressEvent('veil:share:place:done', { unit: unit.cid, copies, wanted: init.replicas, failures: failures.length }))
    }).catch((err: unknown) => {
      this.placements.push({ unit: unit.cid, copies: 0, failures: [(err as Error).message] })
      init.onProgress?.(new CustomProgressEvent('veil:share:place:done', { unit: unit.cid, copies: 0, wanted: init.replicas, failures: 1 }))
    })
  }

  /** Wait for every unit's placement and announcement. */
  async finish (): Promise<{ replicas: number, announced: number, announceFailures: number }> {
    await this.queue.onIdle()
    const outcomes = await Promise.all(this.announcements)
    const replicas = this.placements.length === 0 ? 0 : Math.min(...this.placements.map(p => p.copies))
    return { replicas, announced: outcomes.length, announceFailures: outcomes.filter(ok => !ok).length }
  }
}
