import type { ComponentLogger } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { LevelBlockStore, type BlockStore } from '../blockstore/index.js'
import { KeyStore, NameService, type NameServiceInit, type SeenSequences } from '../names/index.js'
import type { StorageService } from '../replication/index.js'
import type { VeilServices } from './types.js'
import type { findHolders } from '../routing/index.js'
import type { AbortOptions, PeerId, PeerInfo } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** What a node lends its name service. */
export interface NameWiring {
  libp2p: Libp2p<VeilServices>
  store: BlockStore
  repo: string | undefined
  storage: StorageService | undefined
  seen: SeenSequences
  findHolders: (unit: CID, options: Parameters<typeof findHolders>[2]) => AsyncIterable<PeerInfo>
  storagePeers: (key: CID, options?: AbortOptions) => Promise<PeerId[]>
  logger: ComponentLogger
}

/**
 * The node's name service (mutable links): the DHT, the repo's keys, and on
 * a storage node the records it keeps for the shares it holds (pushed with
 * NAME, which the block exchange hands it).
 */
export function wireNames (node: NameWiring, init: NameServiceInit | undefined): NameService {
  const { libp2p, store, storage } = node
  const names = new NameService({
    dht: libp2p.services.dht,
    seen: node.seen,
    self: libp2p.peerId,
    keys: node.repo === undefined ? undefined : new KeyStore(node.repo),
    store: store instanceof LevelBlockStore ? store : undefined,
    keepsRecords: storage !== undefined,
    pushName: async (peer, record, options: AbortOptions = {}) => await libp2p.services.blocks.pushName(peer, record, options),
    findHolders: (unit, options) => node.findHolders(unit, options),
    storagePeers: node.storagePeers,
    logger: node.logger
  }, init)
  if (storage !== undefined) libp2p.services.blocks.setNameAcceptor(names)
  return names
}
