import { onTestFinished } from 'vitest'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { defaultLogger } from '@libp2p/logger'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { LevelBlockStore } from '../../../src/blockstore/index.js'
import { StorageService, type MaintenanceNetwork, type StorageInit } from '../../../src/replication/index.js'
import type { PutAdmission, Push } from '../../../src/protocol/index.js'
import { encodeTreeNode, rawCid } from '../../../src/format/index.js'
import { tempDir } from '../../helpers/files.js'

export const KiB = 1024
export const log = defaultLogger().forComponent('test')

/** A network that reaches no one (a storage node alone). */
export const NO_NETWORK: MaintenanceNetwork = {
  storagePeers: async () => [],
  knownStoragePeers: async () => [],
  push: async () => { throw new Error('no network') },
  prove: async () => [],
  findHolders: async function * () {}
}

export async function peer (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/** A segment unit of `count` random blocks of `size` bytes: its blocks, then its node. */
export function segment (count: number, size: number): { unit: CID, blocks: Push[], node: Push, all: Push[] } {
  const blocks = Array.from({ length: count }, () => {
    const bytes = new Uint8Array(randomBytes(size))
    return { cid: rawCid(bytes), bytes }
  })
  const node = encodeTreeNode({ height: 0, children: blocks.map(b => b.cid) })
  return { unit: node.cid, blocks, node, all: [...blocks, node] }
}

export async function storageNode (init: Partial<StorageInit> = {}, network: MaintenanceNetwork = NO_NETWORK, self?: PeerId): Promise<{ storage: StorageService, store: LevelBlockStore, forgotten: string[] }> {
  const store = await LevelBlockStore.open(join(await tempDir(), 'store'))
  onTestFinished(async () => { await store.close() })
  const forgotten: string[] = []
  const storage = new StorageService({ capacity: 100 * KiB, ...init }, {
    store,
    self: self ?? await peer(),
    network,
    fetcher: () => ({ get: async () => { throw new Error('no network') } }),
    announce: async () => true,
    forget: unit => { forgotten.push(unit.toString()) },
    log
  })
  onTestFinished(async () => { await storage.stop() })
  return { storage, store, forgotten }
}

/** Push `pushes` as one PUT of `unit` from `from`; resolves with the admission and, if admitted, the outcome of each block. */
export async function put (storage: StorageService, from: PeerId, unit: CID, pushes: Push[], options: { leaseUntil?: number, complete?: boolean } = {}): Promise<PutAdmission & { results?: boolean[] }> {
  const bytes = pushes.reduce((sum, p) => sum + p.bytes.length, 0)
  const admission = await storage.acceptor.admit(from, { unit, count: pushes.length, bytes, leaseUntil: options.leaseUntil ?? 0 })
  if (!admission.ok) return admission
  const results = await admission.put.store(pushes, { signal: AbortSignal.timeout(5_000) })
  const completed = (options.complete ?? true) && results.every(r => r.ok)
  admission.put.end(completed)
  return { ...admission, results: results.map(r => r.ok) }
}

