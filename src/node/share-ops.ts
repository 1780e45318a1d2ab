/**
 * Sharing a file or folder (`VeilNode.share`): seal it into the store while
 * placing each unit on storage nodes, record it for renewal, and build the
 * link and the placement report.
 */
import { stat } from 'node:fs/promises'
import type { ComponentLogger, Logger, PeerId } from '@libp2p/interface'
import type { BlockStore } from '../blockstore/index.js'
import type { Announcer } from '../routing/index.js'
import { ShareJob, type MaintenanceNetwork, type ShareKeeper, type StorageService } from '../replication/index.js'
import { importFile, importFolder } from '../importer/index.js'
import { formatLink } from '../link/index.js'
import { InputError } from '../errors.js'
import { SHARE_REPLICAS } from './constants.js'
import type { NodeShareOptions, NodeShareResult } from './types.js'

/** What sharing needs of the node. */
export interface SharingNode {
  store: BlockStore
  /** Present on storage nodes. */
  storage: StorageService | undefined
  self: PeerId
  announcer: Announcer
  keeper: ShareKeeper
  network: MaintenanceNetwork
  log: Logger
  logger: ComponentLogger
}

/**
 * Share a file or folder: seal it into this node's store and, unit by unit
 * while sealing goes on, place each unit on the R storage nodes closest to
 * its discovery key (if the swarm has any). Resolves with the link once
 * every unit is placed (or could not be), saying how many copies it got.
 */
export async function shareFile (node: SharingNode, path: string, options: NodeShareOptions = {}): Promise<NodeShareResult> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(err.code === 'ENOENT' ? `no such file or folder: ${path}` : `cannot read ${path}: ${err.message}`, { cause: err })
  })
  const replicas = options.replicas ?? SHARE_REPLICAS
  const keepLocal = options.keepLocal ?? true
  const storage = node.storage
  const job = new ShareJob({
    store: node.store,
    network: node.network,
    replicas,
    selfIsStorage: storage !== undefined,
    self: node.self,
    announce: keepLocal && storage === undefined ? async unit => await node.announcer.announce(unit, options) : undefined,
    holdLocally: storage === undefined ? undefined : async unit => await storage.adopt(unit.cid, options.expires),
    expires: options.expires,
    chain: options.chain,
    log: node.log,
    options,
    onProgress: options.onProgress
  })
  const importOptions = { logger: node.logger, ...options }
  const result = info.isDirectory() ? await importFolder(path, job.sink, importOptions) : await importFile(path, job.sink, importOptions)
  const placed = await job.finish()
  // Aborted while placing: placements were cut short, so report the abort, not a short count.
  options.signal?.throwIfAborted()
  // A share this repo keeps, or that storage nodes took, is recorded (for renewal and `veil gc`);
  // a light client's share that no storage node took is not: its blocks are for `veil gc`.
  if (keepLocal || placed.replicas > 0) await node.keeper.record(result.cid, job.placements.map(p => p.unit), placed.keptUntil, options.expires)
  let removedLocal = false
  if (!keepLocal && storage === undefined && placed.replicas >= replicas && replicas > 0) {
    for (const cid of job.blocks) await node.store.delete(cid)
    removedLocal = true
  }
  return {
    ...result,
    link: formatLink({ cid: result.cid, key: result.key }),
    replicasWanted: replicas,
    replicas: placed.replicas,
    keptUntil: placed.keptUntil,
    units: job.placements.length,
    placementFailures: job.placements.flatMap(p => p.failures),
    announced: placed.announced,
    announceFailures: placed.announceFailures,
    removedLocal,
    rootHolders: job.placements.find(p => p.unit.equals(result.cid))?.holders.map(copy => copy.peer) ?? []
  }
}
