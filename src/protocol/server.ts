import type { ComponentLogger, Connection, Logger, PeerId, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import type { CID } from 'multiformats/cid'
import PQueue from 'p-queue'
import { sha256 } from '../crypto/index.js'
import { dagCborCid } from '../format/index.js'
import { MessageType, MAX_FRAME, MAX_WIRE_BLOCK } from './codec.js'
import { blockHeader, decodeRequest, encodeError, encodeNone, encodeOk, encodeProof, encodeRefuse, type Request } from './messages.js'
import type { PutForwarder } from './chain-link.js'
import { PutServer, type PushAcceptor, type PushResult } from './put-server.js'
import { ErrorCode, RefuseCode } from './wire.js'
import { ProtocolViolationError } from './errors.js'
import { orderedWindow, deadline } from '../util/index.js'
import { RequestClock } from './request-clock.js'
import { WorkBudget } from './budgets.js'
import { MAX_REQUEST_FRAME, endServedStream, frameStream, stopReading } from './frames.js'
import {
  FORWARD_BYTES_PER_SECOND, FORWARDS_PER_PEER, MAX_BUFFERED_PUT_BYTES, MAX_PUT_BYTES, MAX_STREAMS_PER_PEER, MIN_REQUEST_RATE, NAMES_PER_SECOND, PROOFS_AT_ONCE, PROVE_BYTES_PER_SECOND,
  READ_TIMEOUT_MS, WANT_BYTES_PER_SECOND, WRITE_TIMEOUT_MS
} from './constants.js'

/**
 * What the server serves blocks from (a block store fits). The server asks
 * with `verify: false`: every peer checks each block it receives against
 * its CID, so hashing it here too cost the holder a SHA-256 of every byte it
 * served (~11 % of a holder's CPU per MiB, docs/benchmarks.md) to catch only
 * what rotted on its own disk — which a storage node's scrub finds.
 */
export interface BlockReader {
  get(cid: CID, options?: { signal?: AbortSignal, verify?: boolean }): Promise<Uint8Array>
}

/**
 * Decides about a mutable link's record pushed with NAME: a storage node
 * keeps a valid one (bounded per pusher and in all) and republishes it
 * until it expires; everyone else refuses.
 */
export interface NameAcceptor {
  accept(from: PeerId, record: Uint8Array, options: { signal: AbortSignal }): Promise<PushResult>
}

export const refuseAllNames: NameAcceptor = {
  async accept () {
    return { ok: false, code: RefuseCode.NotAccepting, reason: 'this node keeps no records for others (not a storage node)' }
  }
}

export interface ServerEvents {
  /** A stored block failed verification while being served (disk corruption). */
  onCorruptBlock?(cid: CID): void
  /** A stream was reset for breaking the protocol or its limits. */
  onStreamRejected?(peer: PeerId, reason: string): void
}

export interface BlockServerInit {
  /** Streams one peer may have open with us at once. Default 64. */
  maxStreamsPerPeer?: number
  /** Time to receive a request (or each pushed block) before the stream is reset. Default 10 s. */
  readTimeoutMs?: number
  /** Time for the peer to take each response off us before the stream is reset. Default 30 s. */
  writeTimeoutMs?: number
  /** Bytes one PUT may carry (bounds what a stream buffers). Default 16 MiB. */
  maxPutBytes?: number
  /** PUT bytes all peers together may have on their way (admitted, not yet stored). Default 64 MiB. */
  maxBufferedPutBytes?: number
  /**
   * The slowest a request may go, in bytes per second: each request must be
   * done within one frame deadline plus its bytes at this rate, however it
   * trickles. Default 256 KiB/s.
   */
  minRequestRate?: number
  /** Bytes of stored blocks one peer's WANTs may make us read per second (a 4-second burst). Default 128 MiB/s. */
  wantBytesPerSecond?: number
  /** The same for PROVEs, which also hash what they read. Default 16 MiB/s. */
  proveBytesPerSecond?: number
  /** NAME requests one peer may make per second (each checks a signature and writes a record; a 4-second burst). Default 16. */
  namesPerSecond?: number
  /** Chained PUTs one peer may have this node forward at once. Default 8. */
  forwardsPerPeer?: number
  /** Bytes of chained PUTs one peer may have this node forward per second (a 4-second burst). Default 128 MiB/s. */
  forwardBytesPerSecond?: number
  events?: ServerEvents
}

export interface BlockServerComponents {
  /** Where served blocks come from. */
  store: BlockReader
  /** Who decides about pushed blocks. */
  acceptor: PushAcceptor
  /** Who decides about pushed name records. Default: refuse them. */
  names?: NameAcceptor
  /**
   * Opens PUTs to the next node of a chain. Absent: the node does not
   * forward, and reads the CHAIN flag as an unknown bit (a protocol
   * violation), as nodes before chain replication did.
   */
  forward?: PutForwarder
  logger: ComponentLogger
}

/**
 * The serving side of the block exchange: one request per stream (WANT,
 * PUT or PROVE), answered frame by frame, then the stream is closed.
 * Every read and write has a deadline, every length is bounded before
 * allocation (lpStream checks a frame's length prefix against MAX_FRAME
 * before reading it), and a peer gets at most `maxStreamsPerPeer` streams.
 */
export class BlockServer {
  private readonly active = new Map<string, number>()
  private readonly limits: Required<Omit<BlockServerInit, 'events'>>
  private readonly events: ServerEvents
  private readonly reader: BlockReader
  private readonly names: NameAcceptor
  private readonly nameWork: WorkBudget
  private readonly log: Logger
  private readonly wantWork: WorkBudget
  private readonly proveWork: WorkBudget
  /** Serves PUTs (and forwards chained ones, when this node does). */
  private readonly puts: PutServer
  /** Proofs worked out at once, node-wide: each holds a block in memory while it is hashed. */
  private readonly proofSlots = new PQueue({ concurrency: PROOFS_AT_ONCE })

  constructor (components: BlockServerComponents, init: BlockServerInit = {}) {
    this.reader = components.store
    this.names = components.names ?? refuseAllNames
    this.log = components.logger.forComponent('veil:blocks')
    this.events = init.events ?? {}
    this.limits = {
      maxStreamsPerPeer: init.maxStreamsPerPeer ?? MAX_STREAMS_PER_PEER,
      readTimeoutMs: init.readTimeoutMs ?? READ_TIMEOUT_MS,
      writeTimeoutMs: init.writeTimeoutMs ?? WRITE_TIMEOUT_MS,
      maxPutBytes: init.maxPutBytes ?? MAX_PUT_BYTES,
      maxBufferedPutBytes: init.maxBufferedPutBytes ?? MAX_BUFFERED_PUT_BYTES,
      minRequestRate: init.minRequestRate ?? MIN_REQUEST_RATE,
      wantBytesPerSecond: init.wantBytesPerSecond ?? WANT_BYTES_PER_SECOND,
      proveBytesPerSecond: init.proveBytesPerSecond ?? PROVE_BYTES_PER_SECOND,
      namesPerSecond: init.namesPerSecond ?? NAMES_PER_SECOND,
      forwardsPerPeer: init.forwardsPerPeer ?? FORWARDS_PER_PEER,
      forwardBytesPerSecond: init.forwardBytesPerSecond ?? FORWARD_BYTES_PER_SECOND
    }
    this.puts = new PutServer(components.acceptor, components.forward, this.limits)
    this.nameWork = new WorkBudget(this.limits.namesPerSecond, this.limits.namesPerSecond * 4)
    this.wantWork = new WorkBudget(this.limits.wantBytesPerSecond, this.limits.wantBytesPerSecond * 4)
    this.proveWork = new WorkBudget(this.limits.proveBytesPerSecond, this.limits.proveBytesPerSecond * 4)
  }

  /** Streams currently being served (all peers). */
  get activeStreams (): number {
    let total = 0
    for (const count of this.active.values()) total += count
    return total
  }

  readonly handle = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer
    const key = peer.toString()
    const count = (this.active.get(key) ?? 0) + 1
    this.active.set(key, count)
    const lp = frameStream(stream, this.limits.maxPutBytes + 2 * MAX_FRAME, MAX_REQUEST_FRAME)
    const clock = new RequestClock(this.limits.readTimeoutMs + this.limits.writeTimeoutMs)
    try {
      if (count > this.limits.maxStreamsPerPeer) {
        stopReading(stream)
        await this.write(lp, encodeError(ErrorCode.Limit, 'too many concurrent requests: retry later'), clock)
        await endServedStream(stream, { signal: clock.frame(this.limits.writeTimeoutMs) })
        return
      }
      const request = decodeRequest(await lp.read({ signal: clock.frame(this.limits.readTimeoutMs) }), { chain: this.puts.forwards })
      if (request.type !== MessageType.Put) stopReading(stream)
      // However the peer trickles, the whole request ends by this deadline.
      clock.setWhole(this.requestDeadlineMs(request))
      await this.serve(request, lp, peer, clock)
      stopReading(stream)
      await endServedStream(stream, { signal: clock.frame(this.limits.writeTimeoutMs) })
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError' ? 'timed out' : (err as Error).message
      this.log('reset a block stream from %p: %s', peer, reason)
      this.events.onStreamRejected?.(peer, reason)
      if (err instanceof ProtocolViolationError) {
        await lp.write(encodeError(ErrorCode.BadRequest, err.message), { signal: deadline(this.limits.writeTimeoutMs) }).catch(() => {})
      }
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      clock.done()
      const left = (this.active.get(key) ?? 1) - 1
      if (left <= 0) this.active.delete(key)
      else this.active.set(key, left)
    }
  }

  /**
   * How long a whole request may take: the deadline of the frames the peer
   * must send (a PUT's blocks) or take (a WANT's, a PROVE's answers), plus
   * its bytes at the slowest rate allowed.
   */
  private requestDeadlineMs (request: Request): number {
    if (request.type === MessageType.Put) {
      // A chained PUT also waits for its next nodes' READY and answers (see PutServer.serve).
      const chain = request.chain === undefined ? 0 : this.limits.readTimeoutMs * (4 + 6 * request.chain.length)
      return this.limits.readTimeoutMs + Math.ceil(request.bytes / this.limits.minRequestRate * 1000) + chain
    }
    if (request.type === MessageType.Name) return this.limits.writeTimeoutMs
    return this.limits.writeTimeoutMs + Math.ceil(request.cids.length * MAX_WIRE_BLOCK / this.limits.minRequestRate * 1000)
  }

  private async serve (request: Request, lp: LengthPrefixedStream, peer: PeerId, clock: RequestClock): Promise<void> {
    const key = peer.toString()
    switch (request.type) {
      case MessageType.Want: {
        if (!this.wantWork.allows(key)) {
          await this.write(lp, encodeError(ErrorCode.Limit, 'busy: this peer asked for more blocks than the node serves one peer per second; retry shortly'), clock)
          return
        }
        // Each distinct block is read once however often it is asked for,
        // and the next one while this one is being sent.
        const reads = distinctReads(request.cids, async cid => {
          const bytes = await this.read(cid, false)
          if (bytes !== undefined) this.wantWork.charge(key, bytes.length)
          return bytes
        })
        for await (const { cid, bytes } of orderedWindow(request.cids.map(cid => async () => ({ cid, bytes: await reads(cid) })), 2)) {
          if (bytes === undefined) await this.write(lp, encodeNone(cid), clock)
          else await this.writeV(lp, [blockHeader(MessageType.Block, cid), bytes], clock)
        }
        this.log.trace('served %d blocks to %p', request.cids.length, peer)
        return
      }
      case MessageType.Prove: {
        if (!this.proveWork.allows(key)) {
          await this.write(lp, encodeError(ErrorCode.Limit, 'busy: this peer asked for more proofs than the node gives one peer per second; retry shortly'), clock)
          return
        }
        // A few proofs are worked out at once node-wide (each reads a whole block), and each
        // re-checks the peer's budget when its turn comes: waiting requests cannot all slip in.
        const proofs = distinctReads(request.cids, async cid => await this.proofSlots.add(async () => {
          if (!this.proveWork.allows(key)) return 'busy' as const
          // Charge the largest block before reading, and settle after: otherwise reads already
          // under way when the budget ran out (up to PROOFS_AT_ONCE) would all go over it.
          this.proveWork.charge(key, MAX_WIRE_BLOCK)
          const bytes = await this.read(cid, true).catch((err: unknown) => { this.proveWork.charge(key, -MAX_WIRE_BLOCK); throw err })
          this.proveWork.charge(key, (bytes?.length ?? 0) - MAX_WIRE_BLOCK)
          if (bytes === undefined) return undefined
          return sha256(request.nonce, bytes)
        }, { signal: clock.signal }))
        for (const cid of request.cids) {
          const proof = await proofs(cid)
          if (proof === 'busy') {
            await this.write(lp, encodeError(ErrorCode.Limit, 'busy: this peer asked for more proofs than the node gives one peer per second; retry shortly'), clock)
            return
          }
          await this.write(lp, proof === undefined ? encodeNone(cid) : encodeProof(cid, proof), clock)
        }
        return
      }
      case MessageType.Put:
        await this.puts.serve(request, lp, peer, clock)
        return
      case MessageType.Name: {
        // Each costs a signature check and a durable write: a few a second per peer.
        if (!this.nameWork.allows(key)) {
          await this.write(lp, encodeError(ErrorCode.Limit, 'busy: this peer pushed more records than the node takes from one peer per second; retry shortly'), clock)
          return
        }
        this.nameWork.charge(key, 1)
        const result = await this.names.accept(peer, request.record, { signal: clock.frame(this.limits.readTimeoutMs) })
        // Answered with the record's own CID (it is dag-cbor): the message names no share.
        const id = dagCborCid(request.record)
        await this.write(lp, result.ok ? encodeOk(id) : encodeRefuse(id, result.code, result.reason), clock)
      }
    }
  }

  /**
   * A held block, or undefined (absent, or found corrupt on our disk).
   * WANTs read without re-hashing (the peer verifies; see BlockReader);
   * PROVEs re-verify, since a proof over rotten bytes would be worthless.
   */
  private async read (cid: CID, verify: boolean): Promise<Uint8Array | undefined> {
    try {
      return await this.reader.get(cid, { verify })
    } catch (err) {
      const name = (err as Error).name
      if (name === 'BlockCorruptError') {
        this.log.error('stored block %c is corrupt; not serving it', cid)
        this.events.onCorruptBlock?.(cid)
        return undefined
      }
      if (name === 'BlockNotFoundError' || name === 'UnsupportedHashError') return undefined
      throw err
    }
  }

  private async write (lp: LengthPrefixedStream, frame: Uint8Array, clock: RequestClock): Promise<void> {
    await lp.write(frame, { signal: clock.frame(this.limits.writeTimeoutMs) })
  }

  /** One frame made of several buffers: the block bytes are never copied. */
  private async writeV (lp: LengthPrefixedStream, parts: Uint8Array[], clock: RequestClock): Promise<void> {
    await lp.write(new Uint8ArrayList(...parts), { signal: clock.frame(this.limits.writeTimeoutMs) })
  }
}

/**
 * Run `work` once per distinct CID of a request, however often the request
 * names it; each result is handed out as often as its CID is asked for, then
 * dropped (so a request naming one block 64 times holds it once, briefly).
 */
function distinctReads<T> (cids: CID[], work: (cid: CID) => Promise<T>): (cid: CID) => Promise<T> {
  const uses = new Map<string, number>()
  for (const cid of cids) uses.set(cid.toString(), (uses.get(cid.toString()) ?? 0) + 1)
  const pending = new Map<string, Promise<T>>()
  return async (cid) => {
    const key = cid.toString()
    let result = pending.get(key)
    if (result === undefined) {
      result = work(cid)
      pending.set(key, result)
    }
    const left = (uses.get(key) ?? 1) - 1
    uses.set(key, left)
    if (left <= 0) pending.delete(key)
    return await result
  }
}

export function blockServer (init: BlockServerInit = {}): (components: BlockServerComponents) => BlockServer {
  return (components) => new BlockServer(components, init)
}
