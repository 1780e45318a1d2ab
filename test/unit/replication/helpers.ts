import { onTestFinished } from 'vitest'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { defaultLogger } from '@libp2p/logger'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { LevelBlockStore } from '../../../src/blockstore/index.js'
import { StorageService, type MaintenanceNetwork, type StorageComponents, type StorageInit } from '../../../src/replication/index.js'
import type { PutAdmission, Push } from '../../../src/protocol/index.js'
import { encodeRoot, encodeTreeNode, rawCid, MIN_BLOCK_SIZE } from '../../../src/format/index.js'
import { tempDir } from '../../helpers/files.js'

export const KiB = 1024

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
export interface TestUnit { unit: CID, blocks: Push[], node: Push, all: Push[] }

function randomBlocks (count: number, size: number): Push[] {
  return Array.from({ length: count }, () => {
    const bytes = new Uint8Array(randomBytes(size))
    return { cid: rawCid(bytes), bytes }
  })
}

/** A small file's share: one unit, a root that lists `count` random blocks of `size` bytes. */
export function share (count: number, size: number): TestUnit {
  const blocks = randomBlocks(count, size)
  const node = encodeRoot({
    fileKey: new Uint8Array(randomBytes(32)),
    blockSize: MIN_BLOCK_SIZE,
    blockCount: count,
    height: 0,
    children: blocks.map(b => b.cid),
    meta: { kind: 'file', name: 'test.bin', size: count * size, mediaType: 'application/octet-stream', padding: 'none' }
  })
  return { unit: node.cid, blocks, node, all: [...blocks, node] }
}

/** A segment unit (of a big file's share): a segment node listing `count` random blocks. */
export function segment (count: number, size: number): TestUnit {
  const blocks = randomBlocks(count, size)
  const node = encodeTreeNode({ height: 0, children: blocks.map(b => b.cid) })
  return { unit: node.cid, blocks, node, all: [...blocks, node] }
}

/** A root over segments (height 1), as a big file's share has. */
export function rootOver (segments: TestUnit[]): Push {
  return encodeRoot({
    fileKey: new Uint8Array(randomBytes(32)),
    blockSize: MIN_BLOCK_SIZE,
    blockCount: (segments.length - 1) * 1024 + 1,
    height: 1,
    children: segments.map(s => s.unit),
    meta: { kind: 'file', name: 'big.bin', size: 1, mediaType: 'application/octet-stream', padding: 'none' }
  })
}

export async function storageNode (init: Partial<StorageInit> = {}, network: MaintenanceNetwork = NO_NETWORK, self?: PeerId, deps: Partial<StorageComponents> = {}): Promise<{ storage: StorageService, store: LevelBlockStore, forgotten: string[] }> {
  const store = await LevelBlockStore.open(join(await tempDir(), 'store'))
  onTestFinished(async () => { await store.close() })
  const forgotten: string[] = []
  const capacity = init.capacity ?? 100 * KiB
  // One pusher may use it all unless a test says otherwise.
  const storage = new StorageService({
    store,
    self: self ?? await peer(),
    network,
    fetcher: () => ({ get: async () => { throw new Error('no network') } }),
    announce: async () => true,
    forget: unit => { forgotten.push(unit.toString()) },
    logger: defaultLogger(),
    ...deps
  }, { capacity, perPeer: Number.MAX_SAFE_INTEGER, ...init })
  onTestFinished(async () => { await storage.stop() })
  return { storage, store, forgotten }
}

/** Push `pushes` as one PUT of `unit` from `from`; resolves with the admission and, if admitted, the outcome of each block. */
export async function put (storage: StorageService, from: PeerId, unit: CID, pushes: Push[], options: { leaseUntil?: number, complete?: boolean, path?: CID[], expires?: number } = {}): Promise<PutAdmission & { results?: boolean[] }> {
  const bytes = pushes.reduce((sum, p) => sum + p.bytes.length, 0)
  const admission = await storage.acceptor.admit(from, { unit, count: pushes.length, bytes, leaseUntil: options.leaseUntil ?? 0, path: options.path, expires: options.expires }, { signal: AbortSignal.timeout(5_000) })
  if (!admission.ok) return admission
  const results = await admission.put.store(pushes, { signal: AbortSignal.timeout(5_000) })
  const completed = (options.complete ?? true) && results.every(r => r.ok)
  admission.put.end(completed)
  return { ...admission, results: results.map(r => r.ok) }
}

