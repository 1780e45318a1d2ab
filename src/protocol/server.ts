import type { Connection, Logger, PeerId, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import type { CID } from 'multiformats/cid'
import { sha256Async } from '../crypto/async.js'
import {
  MessageType, MAX_FRAME, blockHeader, decodePush, decodeRequest, encodeError, encodeNone, encodeOk,
  encodeProof, encodeRefuse, type Push, type Request
} from './messages.js'
import { ErrorCode, RefuseCode } from './wire.js'
import { ProtocolViolationError } from './errors.js'
import { orderedWindow } from '../util/ordered-window.js'
import { MAX_REQUEST_FRAME, endServedStream, frameStream, stopReading } from './frames.js'

/** What the server serves blocks from (a block store fits). */
export interface BlockReader {
  get(cid: CID, options?: { signal?: AbortSignal }): Promise<Uint8Array>
}

export type PushResult = { ok: true } | { ok: false, code: RefuseCode, reason: string }

/**
 * Decides what to do with pushed blocks. A storage node verifies, checks its
 * quota and writes durably before saying ok; everyone else refuses.
 */
export interface PushAcceptor {
  accept(from: PeerId, pushes: Push[], options: { signal: AbortSignal }): Promise<PushResult[]>
}

export const refuseAllPushes: PushAcceptor = {
  async accept (_from, pushes) {
    return pushes.map(() => ({ ok: false as const, code: RefuseCode.NotAccepting, reason: 'this node is not a storage node' }))
  }
}

export interface ServerLimits {
  /** Streams one peer may have open with us at once. */
  maxStreamsPerPeer: number
  /** Time to receive a request (or each pushed block) before the stream is reset. */
  readTimeoutMs: number
  /** Time for the peer to take each response off us before the stream is reset. */
  writeTimeoutMs: number
  /** Bytes one PUT may carry (bounds what a stream buffers). */
  maxPutBytes: number
}

export interface ServerEvents {
  /** A stored block failed verification while being served (disk corruption). */
  onCorruptBlock?(cid: CID): void
  /** A stream was reset for breaking the protocol or its limits. */
  onStreamRejected?(peer: PeerId, reason: string): void
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

  constructor (
    private readonly reader: BlockReader,
    private readonly acceptor: PushAcceptor,
    private readonly limits: ServerLimits,
    private readonly log: Logger,
    private readonly events: ServerEvents = {}
  ) {}

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
    try {
      if (count > this.limits.maxStreamsPerPeer) {
        stopReading(stream)
        await this.write(lp, encodeError(ErrorCode.Limit, 'too many concurrent requests: retry later'))
        await endServedStream(stream, { signal: AbortSignal.timeout(this.limits.writeTimeoutMs) })
        return
      }
      const request = decodeRequest(await lp.read({ signal: AbortSignal.timeout(this.limits.readTimeoutMs) }))
      if (request.type !== MessageType.Put) stopReading(stream)
      await this.serve(request, lp, peer)
      stopReading(stream)
      await endServedStream(stream, { signal: AbortSignal.timeout(this.limits.writeTimeoutMs) })
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError' ? 'timed out' : (err as Error).message
      this.log('reset a block stream from %p: %s', peer, reason)
      this.events.onStreamRejected?.(peer, reason)
      if (err instanceof ProtocolViolationError) {
        await this.write(lp, encodeError(ErrorCode.BadRequest, err.message)).catch(() => {})
      }
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      const left = (this.active.get(key) ?? 1) - 1
      if (left <= 0) this.active.delete(key)
      else this.active.set(key, left)
    }
  }

  private async serve (request: Request, lp: LengthPrefixedStream, peer: PeerId): Promise<void> {
    switch (request.type) {
      case MessageType.Want: {
        // Read (and re-verify) the next block while this one is being sent.
        const reads = request.cids.map(cid => async () => ({ cid, bytes: await this.read(cid) }))
        for await (const { cid, bytes } of orderedWindow(reads, 2)) {
          if (bytes === undefined) await this.write(lp, encodeNone(cid))
          else await this.writeV(lp, [blockHeader(MessageType.Block, cid), bytes])
        }
        this.log.trace('served %d blocks to %p', request.cids.length, peer)
        return
      }
      case MessageType.Prove:
        for (const cid of request.cids) {
          const bytes = await this.read(cid)
          if (bytes === undefined) await this.write(lp, encodeNone(cid))
          else await this.write(lp, encodeProof(cid, await sha256Async(concat(request.nonce, bytes))))
        }
        return
      case MessageType.Put: {
        const pushes: Push[] = []
        let bytes = 0
        for (let i = 0; i < request.count; i++) {
          const push = decodePush(await lp.read({ signal: AbortSignal.timeout(this.limits.readTimeoutMs) }))
          bytes += push.bytes.length
          if (bytes > this.limits.maxPutBytes) throw new ProtocolViolationError(`a PUT may carry at most ${this.limits.maxPutBytes} bytes`)
          pushes.push(push)
        }
        const results = await this.acceptor.accept(peer, pushes, { signal: AbortSignal.timeout(this.limits.readTimeoutMs * 4) })
        for (let i = 0; i < pushes.length; i++) {
          const result = results[i] ?? { ok: false, code: RefuseCode.Internal, reason: 'no result' }
          await this.write(lp, result.ok ? encodeOk(pushes[i]!.cid) : encodeRefuse(pushes[i]!.cid, result.code, result.reason))
        }
      }
    }
  }

  /** A held, intact block, or undefined (absent, or corrupt on our disk). */
  private async read (cid: CID): Promise<Uint8Array | undefined> {
    try {
      return await this.reader.get(cid)
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

  private async write (lp: LengthPrefixedStream, frame: Uint8Array): Promise<void> {
    await lp.write(frame, { signal: AbortSignal.timeout(this.limits.writeTimeoutMs) })
  }

  /** One frame made of several buffers: the block bytes are never copied. */
  private async writeV (lp: LengthPrefixedStream, parts: Uint8Array[]): Promise<void> {
    await lp.write(new Uint8ArrayList(...parts), { signal: AbortSignal.timeout(this.limits.writeTimeoutMs) })
  }
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
