import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { randomBytes } from 'node:crypto'
import { ErrorCode, MAX_CHAIN_HOPS, RemoteError, type HopStatus, type PutReply } from '../protocol/index.js'
import { sha256 } from '../crypto/index.js'
import { failureReason } from '../util/index.js'
import type { PlacedCopy, PlacementNetwork, PlaceOptions, UnitToPlace } from './placement.js'
import { sendInPuts } from './put-batches.js'

/** How pushing a unit along a chain ended. */
export interface ChainPlacement {
  /** The chain's nodes that hold every block of the unit durably (and proved it, past the first). */
  placed: PlacedCopy[]
  /** The chain's nodes that refused or failed, with why (a direct push to them may still work). */
  failed: Array<{ peer: PeerId, reason: string }>
  /**
   * The first node refused the chained PUT as a protocol violation: a node
   * from before chain replication (or one that does not forward). A direct
   * push to it may work.
   */
  unsupported: boolean
}

/** Most nodes one chain may hold: the node the sharer pushes to and the next ones. */
export const MAX_CHAIN_LENGTH = MAX_CHAIN_HOPS + 1

/**
 * Push a unit once, to the first node of `chain`, in PUTs that name the
 * rest of the chain: each node stores the blocks and forwards them to the
 * next, and each PUT's reply says which next nodes hold every block of it
 * durably. A node that fails in any PUT is cut from the chain with every
 * node after it (they would lack its blocks), and the rest of the unit goes
 * along what is left. A copy counts only on a node that acknowledged every
 * PUT of the unit, the unit node's last; every node past the first must then
 * prove to the sharer that it holds the unit node and a sample of its blocks
 * (the first node's word alone could be a lie). Whatever is missing, the
 * caller tops up with direct pushes (placeUnit).
 */
export async function pushUnitChained (chain: PeerId[], unit: UnitToPlace, read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>, network: PlacementNetwork, options: PlaceOptions): Promise<ChainPlacement> {
  if (chain.length < 2 || chain.length > MAX_CHAIN_LENGTH) throw new RangeError(`a chain has 2–${MAX_CHAIN_LENGTH} nodes`)
  const failed: ChainPlacement['failed'] = []
  const kept: number[] = []
  /** chain[0, alive) still takes the unit. */
  let alive = chain.length
  const head = chain[0]!
  const nobody = (reason: string, unsupported = false): ChainPlacement => {
    failed.push({ peer: head, reason })
    return { placed: [], failed, unsupported }
  }
  const cut = (at: number, reason: string): void => {
    if (at >= alive) return
    failed.push({ peer: chain[at]!, reason: `through the chain: ${reason}` })
    alive = at
  }
  const send = async (batch: Array<{ cid: CID, bytes: Uint8Array }>): Promise<void> => {
    // The chain as it stands now; a PUT under way may still name a node an earlier reply has cut since.
    const next = chain.slice(1, alive)
    let reply: PutReply
    try {
      reply = await network.push(head, { unit: unit.cid, blocks: batch, leaseUntil: options.leaseUntil, path: options.path, expires: options.expires, chain: next.length === 0 ? undefined : next }, options)
    } catch (err) {
      if (options.signal?.aborted === true) throw err
      throw new HeadFailed(failureReason(err), err instanceof RemoteError && err.wireCode === ErrorCode.BadRequest)
    }
    if (!reply.admitted) throw new HeadFailed(reply.reason, false)
    const own = headOutcome(batch, reply)
    if (own !== undefined) throw new HeadFailed(own, false)
    kept[0] = reply.keptUntil
    const hops: HopStatus[] = reply.chain ?? []
    if (hops.length !== next.length) throw new HeadFailed(`reported ${hops.length} of ${next.length} next nodes of the chain`, false)
    for (let i = 0; i < hops.length && i + 1 < alive; i++) {
      const hop = hops[i]!
      if (!hop.ok) {
        cut(i + 1, hop.reason)
        break
      }
      kept[i + 1] = hop.keptUntil
    }
  }
  try {
    // The unit node goes last, once every earlier PUT was acknowledged: a node that holds it holds every block.
    await sendInPuts([...unit.blocks, unit.cid], read, send, { ...options, limit: options.putBytes, window: options.putsInFlight })
  } catch (err) {
    if (err instanceof HeadFailed) return nobody(err.message, err.unsupported)
    if (options.signal?.aborted === true) throw err
    return nobody(failureReason(err))
  }
  const placed: PlacedCopy[] = [{ peer: head, keptUntil: kept[0]! }]
  // The first node vouches for the others: each proves it holds the unit before it counts.
  const proofs = await Promise.all(chain.slice(1, alive).map(async (peer, i) => ({ peer, keptUntil: kept[i + 1]!, proven: await proves(peer, unit, read, network, options) })))
  for (const { peer, keptUntil, proven } of proofs) {
    if (proven === true) placed.push({ peer, keptUntil })
    else failed.push({ peer, reason: `through the chain: acknowledged the unit but did not prove it holds it (${proven})` })
  }
  return { placed, failed, unsupported: false }
}

class HeadFailed extends Error {
  constructor (message: string, readonly unsupported: boolean) { super(message) }
}

/** Why the first node's own answers to a PUT do not make a copy, or undefined when every block was acknowledged in order. */
function headOutcome (batch: Array<{ cid: CID }>, reply: PutReply & { admitted: true }): string | undefined {
  if (reply.outcomes.length !== batch.length) return `acknowledged ${reply.outcomes.length} of ${batch.length} blocks`
  for (let i = 0; i < batch.length; i++) {
    const outcome = reply.outcomes[i]!
    if (!outcome.cid.equals(batch[i]!.cid)) return 'acknowledged a block that was not pushed'
    if (!outcome.ok) return outcome.reason
  }
  return undefined
}

/** Does `peer` prove it holds the unit node and two random blocks of the unit? true, or why not. */
async function proves (peer: PeerId, unit: UnitToPlace, read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>, network: PlacementNetwork, options: AbortOptions): Promise<true | string> {
  const sample = [unit.cid, ...pick(unit.blocks, 2)]
  const nonce = new Uint8Array(randomBytes(32))
  try {
    const answers = await network.prove(peer, nonce, sample, options)
    for (let i = 0; i < sample.length; i++) {
      const answer = answers[i]
      if (answer === undefined) return `it lacks ${sample[i]!.toString()}`
      if (!Buffer.from(answer).equals(Buffer.from(sha256(nonce, await read(sample[i]!, options))))) return `a wrong proof for ${sample[i]!.toString()}`
    }
    return true
  } catch (err) {
    if (options.signal?.aborted === true) throw err
    return failureReason(err)
  }
}

function pick (cids: CID[], count: number): CID[] {
  if (cids.length <= count) return [...cids]
  const picked = new Set<number>()
  while (picked.size < count) picked.add(Math.floor(Math.random() * cids.length))
  return [...picked].map(i => cids[i]!)
}
