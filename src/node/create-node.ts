/**
 * Assembling a node (`VeilNode.create`): identity, block store, swarm guards,
 * counters and libp2p with Veil's services, wired together but not started.
 */
import { join } from 'node:path'
import { createLibp2p, type Libp2p } from 'libp2p'
import { defaultLogger } from '@libp2p/logger'
import type { ComponentLogger } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { openBlockStore, LevelBlockStore, type BlockStore } from '../blockstore/index.js'
import { blockExchange } from '../protocol/index.js'
import { InvalidOptionError, SwarmRequiredError } from '../errors.js'
import { loadOrCreateIdentity } from '../identity/index.js'
import { blockProtocol, dhtProtocol, swarmId } from '../swarm/index.js'
import { nameDhtRecords, SeenSequences } from '../names/index.js'
import { libp2pOptions } from './libp2p-options.js'
import { LISTEN } from './constants.js'
import { allowListGater, swarmProtector } from './guarded-network.js'
import { RefusalCounter } from './refusals.js'
import { WireGuard } from './wire-guard.js'
import { NodeCounters } from './counters.js'
import type { VeilNodeInit, VeilServices } from './types.js'

/** What a node is made of, built by `VeilNode.create`. */
export interface VeilNodeComponents {
  libp2p: Libp2p<VeilServices>
  store: BlockStore
  /** The node opened the store (and closes it at stop). */
  ownsStore: boolean
  refusals: RefusalCounter
  wireGuard: WireGuard
  /** Blocks, bytes and pushes moved (for metrics). */
  counters: NodeCounters
  swarmId: string | undefined
  /** The newest record seen per name (the DHT's validator and the name service share it). */
  seen: SeenSequences
  logger: ComponentLogger
}

/**
 * Build a node's components and hand them to `build` (the node's
 * constructor); a store opened here is closed again if either step fails.
 */
export async function createNode<T> (init: VeilNodeInit, build: (components: VeilNodeComponents) => T): Promise<T> {
  if (init.requireSwarm === true && init.swarm === undefined) throw new SwarmRequiredError()
  const id = init.swarm === undefined ? undefined : swarmId(init.swarm.key)
  const logger = defaultLogger()
  const refusals = new RefusalCounter(logger.forComponent('veil:swarm'))
  const wireLog = logger.forComponent('veil:wire')
  const counters = new NodeCounters()
  const wireGuard = new WireGuard((reason, direction) => { wireLog('reset an %s connection or stream: the peer sent %s', direction, reason) })
  const seen = new SeenSequences()
  const privateKey = init.privateKey ?? (init.repo !== undefined ? await loadOrCreateIdentity(init.repo) : await generateKeyPair('Ed25519'))
  const ownsStore = init.store === undefined
  const store = init.store ?? await openBlockStore(init.repo !== undefined ? { path: join(init.repo, 'store') } : {})
  if (init.storage !== undefined && !(store instanceof LevelBlockStore)) {
    if (ownsStore) await store.close()
    throw new InvalidOptionError('a storage node keeps its blocks on disk: give it a repo directory')
  }
  try {
    const allowPeers = init.swarm?.allowPeers ?? []
    const options = libp2pOptions({
      privateKey,
      listen: init.listen ?? [...LISTEN],
      dhtProtocol: init.dhtProtocol ?? dhtProtocol(id),
      dhtServer: init.dhtServer ?? true,
      connectionProtector: init.swarm === undefined ? undefined : swarmProtector(init.swarm),
      connectionGater: allowPeers.length === 0 ? undefined : allowListGater(allowPeers),
      refusals,
      providerValidityMs: init.providerValidityMs,
      wireGuard,
      logger,
      nat: init.nat === undefined ? undefined : { ...init.nat, relayLimits: id !== undefined ? 'none' : init.nat.relayLimits },
      announce: init.announceAddresses,
      metrics: init.libp2pMetrics,
      dhtRecords: nameDhtRecords(seen)
    }, blockExchange({ ...init.exchange, store: counters.servingReader(store), protocol: init.blockProtocol ?? blockProtocol(id) }))
    const libp2p = await createLibp2p({ ...options, start: false })
    return build({ libp2p, store, ownsStore, refusals, wireGuard, counters, swarmId: id, seen, logger })
  } catch (err) {
    if (ownsStore) await store.close()
    throw err
  }
}
