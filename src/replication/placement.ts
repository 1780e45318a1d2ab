import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { randomBytes } from 'node:crypto'
import type { PushOutcome } from '../protocol/client.js'
import { MAX_BLOCKS_PER_PUT } from '../protocol/messages.js'
import { sha256 } from '../crypto/hash.js'
import { closestTo } from './distance.js'

/** What placement needs from the node. */
export interface PlacementNetwork {
  /** Storage nodes that may take a unit (any order; placement sorts them). */
  storagePeers(unit: CID, options?: AbortOptions): Promise<PeerId[]>
  push(peer: PeerId, blocks: Array<{ cid: CID, bytes: Uint8Array }>, options?: AbortOptions): Promise<PushOutcome[]>
  prove(peer: PeerId, nonce: Uint8Array, cids: CID[], options?: AbortOptions): Promise<Array<Uint8Array | undefined>>
}

/** A unit to place: its content blocks (none for a root or index node above segments) and its node. */
export interface UnitToPlace {
  cid: CID
  blocks: CID[]
}

export interface PlaceOptions extends AbortOptions {
  replicas: number
  /** Peers that already hold the unit (repair): counted, not pushed to. */
  holders?: PeerId[]
  /** Bytes per PUT. Default 8 MiB. */
  putBytes?: number
}

export interface PlaceResult {
  /** Peers that acknowledged a durable copy (not counting `holders`). */
  placed: PeerId[]
  /** Peers that refused or failed, with why. */
  failed: Array<{ peer: PeerId, reason: string }>
}

/**
 * Place a unit on the storage nodes closest (XOR) to its discovery key until
 * `replicas` copies exist: push its blocks, then its node (so a node that
 * has the unit node has the whole unit), in PUTs of a few MiB, to the next
 * closest candidates in parallel. A refusal (quota, not a storage node) or a
 * failure moves on to the next closest. A node that already holds the unit
 * (it proves it has the unit node) is sent only the node, which renews its
 * lease.
 */
export async function placeUnit (unit: UnitToPlace, read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>, network: PlacementNetwork, log: Logger, options: PlaceOptions): Promise<PlaceResult> {
  const holders = new Set((options.holders ?? []).map(String))
  const needed = options.replicas - holders.size
  const result: PlaceResult = { placed: [], failed: [] }
  if (needed <= 0) return result
  const candidates = closestTo(unit.cid, await network.storagePeers(unit.cid, options)).filter(peer => !holders.has(peer.toString()))

  let next = 0
  const tryNext = async (): Promise<void> => {
    while (result.placed.length < needed && next < candidates.length) {
      const peer = candidates[next++]!
      const reason = await pushUnit(peer, unit, read, network, options)
      if (reason === undefined) {
        result.placed.push(peer)
        return
      }
      log('placing unit %c on %p failed: %s', unit.cid, peer, reason)
      result.failed.push({ peer, reason })
    }
  }
  await Promise.all(Array.from({ length: needed }, tryNext))
  return result
}

/** Push a whole unit to one peer; undefined on success, else why it failed. */
async function pushUnit (peer: PeerId, unit: UnitToPlace, read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>, network: PlacementNetwork, options: PlaceOptions): Promise<string | undefined> {
  try {
    const blocks = await holdsUnit(peer, unit.cid, read, network, options) ? [] : unit.blocks
    const limit = options.putBytes ?? 8 * 1024 * 1024
    let batch: Array<{ cid: CID, bytes: Uint8Array }> = []
    let bytes = 0
    const flush = async (): Promise<string | undefined> => {
      if (batch.length === 0) return undefined
      const outcomes = await network.push(peer, batch, options)
      batch = []
      bytes = 0
      const refused = outcomes.find(outcome => !outcome.ok)
      return refused !== undefined && !refused.ok ? refused.reason : undefined
    }
    for (const cid of [...blocks, unit.cid]) {
      const data = await read(cid, options)
      if (batch.length > 0 && (bytes + data.length > limit || batch.length >= MAX_BLOCKS_PER_PUT)) {
        const refused = await flush()
        if (refused !== undefined) return refused
      }
      batch.push({ cid, bytes: data })
      bytes += data.length
    }
    return await flush()
  } catch (err) {
    if (options.signal?.aborted === true) throw err
    return (err as Error).message
  }
}

/** Does `peer` prove it holds the unit node (and so, by push order, the unit)? */
async function holdsUnit (peer: PeerId, unit: CID, read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>, network: PlacementNetwork, options: AbortOptions): Promise<boolean> {
  const nonce = new Uint8Array(randomBytes(32))
  const [proof] = await network.prove(peer, nonce, [unit], options)
  if (proof === undefined) return false
  const expected = sha256(nonce, await read(unit, options))
  return Buffer.from(proof).equals(Buffer.from(expected))
}
