import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { randomBytes } from 'node:crypto'
import type { PutReply, PutRequest } from '../protocol/index.js'
import { sha256 } from '../crypto/index.js'
import { failureReason } from '../util/index.js'
import { closestTo } from './distance.js'
import { MAX_CHAIN_LENGTH, pushUnitChained } from './chain-placement.js'
import { sendInPuts } from './put-batches.js'

/** What placement needs from the node. */
export interface PlacementNetwork {
  /** Storage nodes that may take a unit (any order; placement sorts them). */
  storagePeers(unit: CID, options?: AbortOptions): Promise<PeerId[]>
  push(peer: PeerId, put: PutRequest, options?: AbortOptions): Promise<PutReply>
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
  /** PUTs of the unit under way at once to one peer or chain (the one with the unit node always alone, last). Default 1. */
  putsInFlight?: number
  /** Ask the storage nodes to keep the unit until then (ms since the epoch). Default: their own lease. */
  leaseUntil?: number
  /** Only renew the lease of a peer that proves it holds the unit; never send it blocks. */
  renewOnly?: boolean
  /** The unit's path from its share root, when known: lets the storage node tell it from junk (see PutHeader.path). */
  path?: CID[]
  /** A hard expiry for every copy (ms since the epoch): storage nodes delete the unit then (see PutHeader.expires). */
  expires?: number
  /** When every candidate was tried and copies are still missing, look for storage nodes again after each of these pauses. Default DEFAULT_REDISCOVER_MS. */
  rediscoverMs?: number[]
  /**
   * Push the unit once, along a chain of the closest candidates (chain
   * replication, see pushUnitChained), then top up what the chain did not
   * place with direct pushes. Absent: direct pushes to each candidate.
   */
  chain?: ChainPlacementOptions
}

export interface ChainPlacementOptions {
  /** Peers that refused a chained PUT (nodes from before chain replication): never put first in a chain; filled in as found. */
  unsupported: Set<string>
}

/** A storage node that acknowledged a durable copy of the whole unit. */
export interface PlacedCopy {
  peer: PeerId
  /** The node keeps the unit at least until then (ms since the epoch). */
  keptUntil: number
}

export interface PlaceResult {
  /** Peers that acknowledged a durable copy (not counting `holders`). */
  placed: PlacedCopy[]
  /** Peers that refused or failed, with why. */
  failed: Array<{ peer: PeerId, reason: string }>
}

/**
 * How pushing a unit to one peer ended. Only `placed` counts as a copy, and
 * only `pushUnit` makes one, from the peer's durable OK for every block and
 * for the unit node; everything else — a refusal, an error, a thrown value
 * of any shape — is `failed`.
 */
export type UnitPushOutcome =
  | { placed: true, keptUntil: number }
  | { placed: false, reason: string }

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
  const tried = new Set<string>(holders)
  let found: PeerId[] | undefined
  if (options.chain !== undefined && needed >= 2) {
    found = closestTo(unit.cid, await network.storagePeers(unit.cid, options))
    await placeAlongChain(unit, read, network, log, options, options.chain, found, needed, tried, result)
  }
  const pauses = options.rediscoverMs ?? DEFAULT_REDISCOVER_MS
  for (let round = 0; round <= pauses.length && result.placed.length < needed; round++) {
    if (round > 0) {
      // Too few storage nodes answered: a young swarm's DHT may still be learning of some. Look again.
      log('unit %c has %d of %d copies and no candidate left; looking for storage nodes again', unit.cid, result.placed.length, needed)
      await pause(pauses[round - 1]!, options.signal)
    }
    // The chain's candidates serve the first round: no second look-up.
    const candidates = (round === 0 && found !== undefined ? found : closestTo(unit.cid, await network.storagePeers(unit.cid, options))).filter(peer => !tried.has(peer.toString()))
    let next = 0
    const tryNext = async (): Promise<void> => {
      while (result.placed.length < needed && next < candidates.length) {
        const peer = candidates[next++]!
        tried.add(peer.toString())
        const outcome = await pushUnit(peer, unit, read, network, options)
        if (outcome.placed) {
          result.placed.push({ peer, keptUntil: outcome.keptUntil })
          return
        }
        log('placing unit %c on %p failed: %s', unit.cid, peer, outcome.reason)
        result.failed.push({ peer, reason: outcome.reason })
      }
    }
    await Promise.all(Array.from({ length: needed - result.placed.length }, tryNext))
  }
  return result
}

/**
 * The chain step of placeUnit: the `needed` closest candidates (at most
 * MAX_CHAIN_LENGTH) as one chain, unless a node that does not forward would
 * have to. Its copies count; its first node is not tried again when it
 * refused or failed (unless it did not know chained PUTs); the other nodes
 * that failed stay candidates for a direct push, since what failed may have
 * been their link to the node before them.
 */
async function placeAlongChain (unit: UnitToPlace, read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>, network: PlacementNetwork, log: Logger, options: PlaceOptions, chainOptions: ChainPlacementOptions, found: PeerId[], needed: number, tried: Set<string>, result: PlaceResult): Promise<void> {
  const chain = found.filter(peer => !tried.has(peer.toString())).slice(0, Math.min(needed, MAX_CHAIN_LENGTH))
  // Every node but the last forwards.
  if (chain.length < 2 || chain.slice(0, -1).some(peer => chainOptions.unsupported.has(peer.toString()))) return
  // A node that holds the unit already (a convergent share, a share made again) needs only its lease
  // renewed, not the blocks again: the direct pushes do that.
  const holds = await Promise.all(chain.map(async peer => await holdsUnit(peer, unit.cid, read, network, options).catch(() => false)))
  if (holds.some(Boolean)) return
  const outcome = await pushUnitChained(chain, unit, read, network, options)
  for (const copy of outcome.placed) {
    tried.add(copy.peer.toString())
    result.placed.push(copy)
  }
  for (const failure of outcome.failed) log('placing unit %c on %p along a chain failed: %s', unit.cid, failure.peer, failure.reason)
  const head = chain[0]!
  if (outcome.unsupported) {
    chainOptions.unsupported.add(head.toString())
    return
  }
  if (outcome.placed.length === 0) {
    tried.add(head.toString())
    result.failed.push(outcome.failed[0]!)
  }
  // Other nodes' failures are recorded only if a direct push fails too (placeUnit's loop).
}

/** Pauses before looking for storage nodes again when too few took a unit. */
export const DEFAULT_REDISCOVER_MS = [500, 2_000]

async function pause (ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = (): void => { clearTimeout(timer); reject(signal!.reason) }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Push a whole unit to one peer: its blocks (unless it proves it holds the unit), then its node. */
export async function pushUnit (peer: PeerId, unit: UnitToPlace, read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>, network: PlacementNetwork, options: PlaceOptions): Promise<UnitPushOutcome> {
  try {
    const holds = await holdsUnit(peer, unit.cid, read, network, options)
    if (!holds && options.renewOnly === true) return { placed: false, reason: 'it does not hold the unit' }
    const blocks = holds ? [] : unit.blocks
    let last: UnitPushOutcome = { placed: false, reason: 'nothing was pushed' }
    const send = async (batch: Array<{ cid: CID, bytes: Uint8Array }>): Promise<void> => {
      const sent = acknowledged(batch, await network.push(peer, { unit: unit.cid, blocks: batch, leaseUntil: options.leaseUntil, path: options.path, expires: options.expires }, options))
      if (!sent.placed) throw new PushFailed(sent.reason)
      last = sent
    }
    try {
      // The unit node goes last, once every earlier PUT was acknowledged: a node that holds it holds every block.
      await sendInPuts([...blocks, unit.cid], read, send, { ...options, limit: options.putBytes, window: options.putsInFlight })
    } catch (err) {
      if (err instanceof PushFailed) return { placed: false, reason: err.message }
      throw err
    }
    return last
  } catch (err) {
    if (options.signal?.aborted === true) throw err
    return { placed: false, reason: failureReason(err) }
  }
}

class PushFailed extends Error {}

/** A PUT counts only when it was admitted and every block it carried was acknowledged, in order. */
function acknowledged (batch: Array<{ cid: CID }>, reply: PutReply): UnitPushOutcome {
  if (!reply.admitted) return { placed: false, reason: reply.reason }
  if (reply.outcomes.length !== batch.length) return { placed: false, reason: `acknowledged ${reply.outcomes.length} of ${batch.length} blocks` }
  for (let i = 0; i < batch.length; i++) {
    const outcome = reply.outcomes[i]!
    if (!outcome.cid.equals(batch[i]!.cid)) return { placed: false, reason: 'acknowledged a block that was not pushed' }
    if (!outcome.ok) return { placed: false, reason: outcome.reason }
  }
  return { placed: true, keptUntil: reply.keptUntil }
}

/** Does `peer` prove it holds the unit node (and so, by push order, the unit)? */
async function holdsUnit (peer: PeerId, unit: CID, read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>, network: PlacementNetwork, options: AbortOptions): Promise<boolean> {
  const nonce = new Uint8Array(randomBytes(32))
  const [proof] = await network.prove(peer, nonce, [unit], options)
  if (proof === undefined) return false
  const expected = sha256(nonce, await read(unit, options))
  return Buffer.from(proof).equals(Buffer.from(expected))
}
