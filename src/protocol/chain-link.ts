import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { deadline, failureReason } from '../util/index.js'
import type { PutOpening, PutSession } from './client.js'
import type { Push } from './messages.js'
import type { HopStatus, PutHeader } from './put-messages.js'
import { RefuseCode, refuseCodeName } from './wire.js'
import { WorkBudget } from './budgets.js'

/** Opens a PUT to the next node of a chain (the block exchange's client side). */
export type PutForwarder = (peer: PeerId, header: PutHeader, options: { signal: AbortSignal }) => Promise<PutOpening>

export interface ChainLinkLimits {
  /** Time for the next node to answer the header. */
  readTimeoutMs: number
  /** Time to hand each block to the next node. */
  writeTimeoutMs: number
}

/**
 * A storage node's link to the next node of a chained PUT: the PUT's header
 * goes on (naming the rest of the chain) before this node answers READY, so
 * what every next node said reaches the pusher before any block travels;
 * each block goes on as soon as it arrives (while this node still reads the
 * next and before it stores its own copy), so a chain costs one transfer's
 * time, not one per node. Nothing here throws: whatever goes wrong with the
 * next node — refused, unreachable, reset, too slow, an older node that
 * does not know the CHAIN flag — ends the link, and the hop statuses say so
 * (the chain is cut there; the pusher tops up the copies itself).
 */
export class ChainLink {
  private session: PutSession | undefined
  private failure: { code: number, reason: string } | undefined
  private forwarded = 0
  private ended = false

  private constructor (
    private readonly header: PutHeader,
    /** The next node, then the rest of the chain. */
    private readonly hops: PeerId[],
    private readonly limits: ChainLinkLimits,
    /** What every next node said to the header (for READY). */
    readonly ready: HopStatus[],
    /** The served PUT's own signal (its deadlines). */
    private readonly signal?: AbortSignal
  ) {}

  /** A link that forwards nothing: every next node is reported with `code` and `reason`. */
  static refused (header: PutHeader, code: RefuseCode, reason: string): ChainLink {
    const chain = header.chain ?? []
    const link = new ChainLink(header, chain, { readTimeoutMs: 0, writeTimeoutMs: 0 }, chain.map((_, i) => i === 0 ? { ok: false, code, reason } : notReached(chain[0]!)))
    link.failure = { code, reason }
    return link
  }

  /** Offer the PUT to the chain's next node, naming the rest of the chain. */
  static async open (forward: PutForwarder, header: PutHeader, limits: ChainLinkLimits, signal: AbortSignal): Promise<ChainLink> {
    const chain = header.chain ?? []
    const next = chain[0]
    if (next === undefined) throw new RangeError('a chain link needs a chained PUT')
    const rest = chain.slice(1)
    const onward: PutHeader = { ...header, chain: rest.length === 0 ? undefined : rest }
    let opening: PutOpening
    try {
      // Each step of the opening has its own deadline; `signal` ends with the served PUT.
      opening = await forward(next, onward, { signal })
    } catch (err) {
      return ChainLink.refused(header, RefuseCode.Unreachable, `could not offer the PUT to ${next.toString()}: ${failureReason(err)}`)
    }
    if (!opening.admitted) return ChainLink.refused(header, opening.code, bare(opening.code, opening.reason))
    const link = new ChainLink(header, chain, limits, [{ ok: true, keptUntil: opening.session.keptUntil }, ...(opening.session.hops ?? []).map(unnamed)], signal)
    link.session = opening.session
    return link
  }

  /** Send one block on (as soon as it arrived); a next node that fails ends the link. */
  async forward (push: Push): Promise<void> {
    if (this.session === undefined || this.failure !== undefined) return
    try {
      await this.session.send(push, { signal: deadline(this.limits.writeTimeoutMs, this.signal) })
      this.forwarded++
    } catch (err) {
      this.fail(`lost it during the PUT: ${failureReason(err)}`)
    }
  }

  /**
   * Wait for the next node's answers: the status of each next node of the
   * chain, in order — every block of the PUT durable there (with its lease),
   * or why not. A node after one that failed is reported as lost with it.
   */
  async finish (cids: CID[]): Promise<HopStatus[]> {
    this.ended = true
    const next = this.hops[0]!
    const lost = (): HopStatus[] => this.hops.map((_, i) => i === 0 ? { ok: false, ...this.failure! } : notReached(next))
    if (this.session === undefined || this.failure !== undefined) return this.failure === undefined ? this.ready : lost()
    if (this.forwarded !== cids.length) {
      this.fail(`forwarded ${this.forwarded} of ${cids.length} blocks`)
      return lost()
    }
    try {
      const { outcomes, chain } = await this.session.finish(cids)
      const refused = outcomes.find(outcome => !outcome.ok)
      const first: HopStatus = refused === undefined || refused.ok
        ? { ok: true, keptUntil: this.session.keptUntil }
        : { ok: false, code: refused.code, reason: bare(refused.code, refused.reason) }
      return [first, ...(chain ?? []).map(unnamed)]
    } catch (err) {
      this.fail(`lost it before it answered: ${failureReason(err)}`)
      return lost()
    }
  }

  /** The PUT ended early (its pusher failed or left): reset the next node's stream so it drops the PUT too. */
  close (): void {
    if (this.ended) return
    this.ended = true
    this.fail('the PUT ended early')
  }

  private fail (reason: string): void {
    if (this.failure === undefined) this.failure = { code: RefuseCode.Unreachable, reason }
    this.session?.abort(new Error(`chained PUT of ${this.header.unit.toString()}: ${reason}`))
  }
}

/** The client names a refusal's code before its reason; on the wire the code travels on its own. */
function bare (code: number, reason: string): string {
  const prefix = `${refuseCodeName(code)}: `
  return reason.startsWith(prefix) ? reason.slice(prefix.length) : reason
}

function unnamed (hop: HopStatus): HopStatus {
  return hop.ok ? hop : { ...hop, reason: bare(hop.code, hop.reason) }
}

/**
 * A node's forwarding of chained PUTs: one next node per PUT, and a pusher
 * gets `forwardsPerPeer` forwarded at once and `forwardBytesPerSecond` (4 s
 * bursts); past that the chain is cut here (`Busy`: nothing is forwarded,
 * the pusher tops up the copies itself).
 */
export class ChainForwarding {
  private readonly budget: WorkBudget
  /** Chained PUTs being forwarded, per pusher. */
  private readonly under = new Map<string, number>()

  constructor (private readonly forward: PutForwarder, private readonly limits: { readTimeoutMs: number, forwardsPerPeer: number, forwardBytesPerSecond: number }) {
    this.budget = new WorkBudget(limits.forwardBytesPerSecond, limits.forwardBytesPerSecond * 4)
  }

  /** The link to `header`'s next node, and `release` to call once the PUT ended. */
  async open (header: PutHeader, pusher: PeerId, signal: AbortSignal): Promise<{ link: ChainLink, release: () => void }> {
    const key = pusher.toString()
    const count = this.under.get(key) ?? 0
    if (count >= this.limits.forwardsPerPeer || !this.budget.allows(key)) {
      return { link: ChainLink.refused(header, RefuseCode.Busy, 'busy: this peer has more chained PUTs on their way through this node than it forwards for one peer'), release: () => {} }
    }
    this.budget.charge(key, header.bytes)
    this.under.set(key, count + 1)
    let released = false
    const release = (): void => {
      if (released) return
      released = true
      const left = (this.under.get(key) ?? 1) - 1
      if (left <= 0) this.under.delete(key)
      else this.under.set(key, left)
    }
    try {
      // The next node gets the read deadline for each block: it gives up well before the pusher's frame deadline.
      return { link: await ChainLink.open(this.forward, header, { readTimeoutMs: this.limits.readTimeoutMs, writeTimeoutMs: this.limits.readTimeoutMs }, signal), release }
    } catch (err) {
      release()
      throw err
    }
  }
}

function notReached (next: PeerId): HopStatus {
  return { ok: false, code: RefuseCode.Unreachable, reason: `not reached: the chain broke at ${next.toString()}` }
}
