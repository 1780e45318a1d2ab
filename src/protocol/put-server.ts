import type { LengthPrefixedStream } from '@libp2p/utils'
import type { PeerId } from '@libp2p/interface'
import { decodePush, encodeOk, encodeRefuse, type Push } from './messages.js'
import { encodeChain, encodeReady, type PutHeader } from './put-messages.js'
import { ChainForwarding, ChainLink, type PutForwarder } from './chain-link.js'
import { RefuseCode } from './wire.js'
import { ProtocolViolationError } from './errors.js'
import type { RequestClock } from './request-clock.js'
import { ByteReservoir } from './budgets.js'

export type PushResult = { ok: true } | { ok: false, code: RefuseCode, reason: string }

/**
 * What a node says to a PUT header, before any block is sent: refused (with
 * a wire code), or admitted — then the blocks come, and `put` stores them.
 */
export type PutAdmission =
  | { ok: true, keptUntil: number, put: AdmittedPut }
  | { ok: false, code: RefuseCode, reason: string }

export interface AdmittedPut {
  /** Verify and store the PUT's blocks (durably); one result per block. */
  store(pushes: Push[], options: { signal: AbortSignal }): Promise<PushResult[]>
  /**
   * Called exactly once when the request ends, whatever happened: release
   * what was reserved. `completed` is true only when every block was stored
   * and the pusher was told so; otherwise the push failed, and blocks it
   * left that nothing references may go at once.
   */
  end(completed: boolean): void
}

/**
 * Decides about pushes. A storage node admits a PUT from its header (room,
 * who sends it), then verifies, stores durably and only then says ok;
 * everyone else refuses at the header.
 */
export interface PushAcceptor {
  admit(from: PeerId, header: PutHeader, options: { signal: AbortSignal }): Promise<PutAdmission>
}

export const refuseAllPushes: PushAcceptor = {
  async admit () {
    return { ok: false, code: RefuseCode.NotAccepting, reason: 'this node is not a storage node' }
  }
}

/** The limits a PutServer works to, resolved by BlockServer (see BlockServerInit). */
export interface PutServerLimits {
  readTimeoutMs: number
  writeTimeoutMs: number
  maxPutBytes: number
  maxBufferedPutBytes: number
  forwardsPerPeer: number
  forwardBytesPerSecond: number
}

/**
 * BlockServer's PUT serving: admission from the header, the blocks, their
 * answers, and a chained PUT's forwarding to the next node.
 */
export class PutServer {
  private readonly putBuffer: ByteReservoir
  /** Forwards chained PUTs (absent: this node does not). */
  private readonly forwarding: ChainForwarding | undefined

  constructor (private readonly acceptor: PushAcceptor, forward: PutForwarder | undefined, private readonly limits: PutServerLimits) {
    this.forwarding = forward === undefined
      ? undefined
      : new ChainForwarding(forward, { readTimeoutMs: limits.readTimeoutMs, forwardsPerPeer: limits.forwardsPerPeer, forwardBytesPerSecond: limits.forwardBytesPerSecond })
    this.putBuffer = new ByteReservoir(limits.maxBufferedPutBytes)
  }

  /** Whether this node forwards chained PUTs (if not, the CHAIN flag is an unknown bit). */
  get forwards (): boolean {
    return this.forwarding !== undefined
  }

  /**
   * A PUT: admitted or refused from its header before any block is read —
   * the node-wide buffer for incoming blocks must have room, and the
   * acceptor must agree; then its blocks (never more bytes than the header
   * declared), stored, and one answer per block. A chained PUT is offered
   * to the chain's next node once admitted here, before READY (which says
   * what every next node said); each block goes on as it arrives, and the
   * answers wait for the next node's, then a CHAIN frame says which next
   * nodes hold every block durably.
   */
  async serve (header: PutHeader, lp: LengthPrefixedStream, peer: PeerId, clock: RequestClock): Promise<void> {
    if (header.bytes > this.limits.maxPutBytes) {
      await this.write(lp, encodeRefuse(header.unit, RefuseCode.TooLarge, `a PUT may carry at most ${this.limits.maxPutBytes} bytes`), clock)
      return
    }
    if (!this.putBuffer.reserve(header.bytes)) {
      await this.write(lp, encodeRefuse(header.unit, RefuseCode.Busy, 'busy: too many pushes on their way to this node; retry shortly'), clock)
      return
    }
    try {
      const admission = await this.acceptor.admit(peer, header, { signal: clock.frame(this.limits.readTimeoutMs) })
      if (!admission.ok) {
        await this.write(lp, encodeRefuse(header.unit, admission.code, admission.reason), clock)
        return
      }
      let completed = false
      let link: ChainLink | undefined
      let releaseForward = (): void => {}
      try {
        if (header.chain !== undefined) {
          // Dialling the next node and its READY (which waits for the nodes after it) has a deadline of its own.
          clock.frame(this.limits.readTimeoutMs * (2 + 2 * header.chain.length))
          ;({ link, release: releaseForward } = this.forwarding === undefined
            ? { link: ChainLink.refused(header, RefuseCode.NotAccepting, 'this node does not forward chained PUTs'), release: () => {} }
            : await this.forwarding.open(header, peer, clock.signal))
        }
        await this.write(lp, encodeReady(header.unit, admission.keptUntil, link?.ready), clock)
        const pushes: Push[] = []
        let bytes = 0
        for (let i = 0; i < header.count; i++) {
          const push = decodePush(await lp.read({ signal: clock.frame(this.limits.readTimeoutMs) }))
          bytes += push.bytes.length
          if (bytes > header.bytes) throw new ProtocolViolationError('the PUT sent more bytes than its header declared')
          pushes.push(push)
          if (link !== undefined) {
            // On to the next node at once, before this node stores its own copy. The link gives up on a
            // slow next node (read deadline) well before this frame deadline would end the whole PUT.
            clock.frame(this.limits.writeTimeoutMs)
            await link.forward(push)
          }
        }
        // A chain's answers wait for the next node's, which wait for the node after it.
        const [results, hops] = await Promise.all([
          admission.put.store(pushes, { signal: clock.frame(this.limits.readTimeoutMs * (link === undefined ? 4 : 2 + 4 * link.ready.length)) }),
          link?.finish(pushes.map(push => push.cid))
        ])
        for (let i = 0; i < pushes.length; i++) {
          const result = results[i] ?? { ok: false, code: RefuseCode.Internal, reason: 'no result' }
          await this.write(lp, result.ok ? encodeOk(pushes[i]!.cid) : encodeRefuse(pushes[i]!.cid, result.code, result.reason), clock)
        }
        if (hops !== undefined) await this.write(lp, encodeChain(header.unit, hops), clock)
        completed = results.length === pushes.length && results.every(result => result.ok)
      } finally {
        link?.close()
        releaseForward()
        admission.put.end(completed)
      }
    } finally {
      this.putBuffer.release(header.bytes)
    }
  }

  private async write (lp: LengthPrefixedStream, frame: Uint8Array, clock: RequestClock): Promise<void> {
    await lp.write(frame, { signal: clock.frame(this.limits.writeTimeoutMs) })
  }
}
