import type { AbortOptions, ComponentLogger, PeerId, Startable, Stream } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { deadline } from '../util/index.js'
import type { CID } from 'multiformats/cid'
import { BlockServer, refuseAllNames, type BlockReader, type NameAcceptor, type ServerEvents } from './server.js'
import { refuseAllPushes, type PushAcceptor } from './put-server.js'
import { openPut, pushBlocks, pushNameRecord, proveBlocks, wantBlocks, type PutOpening, type BlockVerifier, type ClientLimits, type NameReply, type PutReply, type PutRequest, type WantResult } from './client.js'
import { retryWhileBusy } from './busy.js'
import { RefuseCode } from './wire.js'
import type { PutHeader } from './put-messages.js'
import { DEFAULT_BLOCK_PROTOCOL, INBOUND_STREAM_HEADROOM, MAX_OUTBOUND_STREAMS, MAX_STREAMS_PER_PEER, READ_TIMEOUT_MS, WRITE_TIMEOUT_MS } from './constants.js'

export interface BlockExchangeInit {
  /** Protocol id; a private swarm uses `/veil/<swarm id>/blocks/2.0.0`. */
  protocol?: string
  /** Where served blocks come from. */
  store: BlockReader
  /** Who decides about pushed blocks. Default: refuse them all (not a storage node). */
  acceptor?: PushAcceptor
  /** Streams one peer may have open with us at once. Default 64. */
  maxStreamsPerPeer?: number
  /**
   * Incoming streams of this protocol per connection (libp2p's limit, which
   * resets the stream). Default maxStreamsPerPeer + 16, so a peer over the
   * server's limit gets a polite "busy" answer it can wait on, not a reset it
   * takes for a failure.
   */
  maxInboundStreams?: number
  /** Outgoing streams of this protocol per connection. Default 64. */
  maxOutboundStreams?: number
  /** Deadline for each frame we wait for. Default 10 s. */
  readTimeoutMs?: number
  /** Deadline for each frame we send. Default 30 s. */
  writeTimeoutMs?: number
  /** Bytes one PUT may carry. Default 16 MiB. */
  maxPutBytes?: number
  /** PUT bytes all peers together may have on their way to this node. Default 64 MiB. */
  maxBufferedPutBytes?: number
  /** Slowest rate a request may go at (bytes/s): sets each request's whole deadline. Default 256 KiB/s. */
  minRequestRate?: number
  /** Bytes one peer's WANTs may make this node read per second. Default 128 MiB/s. */
  wantBytesPerSecond?: number
  /** Bytes one peer's PROVEs may make this node read and hash per second. Default 16 MiB/s. */
  proveBytesPerSecond?: number
  /** NAME requests one peer may make per second. Default 16. */
  namesPerSecond?: number
  /**
   * Forward chained PUTs to the next node of their chain (chain
   * replication). Default true; false reads the CHAIN flag as an unknown
   * bit, as nodes before chain replication did.
   */
  forward?: boolean
  /** Chained PUTs one peer may have this node forward at once. Default 8. */
  forwardsPerPeer?: number
  /** Bytes of chained PUTs one peer may have this node forward per second. Default 128 MiB/s. */
  forwardBytesPerSecond?: number
  events?: ServerEvents
}

export interface BlockExchangeComponents {
  registrar: Registrar
  connectionManager: ConnectionManager
  logger: ComponentLogger
}

/**
 * The block exchange service (shaped like libp2p's protocol-ping): serves
 * WANT / PUT / PROVE requests and makes them of other peers.
 */
export class BlockExchange implements Startable {
  readonly protocol: string
  private readonly server: BlockServer
  private readonly limits: ClientLimits
  private readonly maxInboundStreams: number
  private readonly maxOutboundStreams: number
  private acceptor: PushAcceptor
  private names: NameAcceptor = refuseAllNames
  private started = false

  constructor (private readonly components: BlockExchangeComponents, init: BlockExchangeInit) {
    this.protocol = init.protocol ?? DEFAULT_BLOCK_PROTOCOL
    this.acceptor = init.acceptor ?? refuseAllPushes
    const maxStreamsPerPeer = init.maxStreamsPerPeer ?? MAX_STREAMS_PER_PEER
    this.limits = { readTimeoutMs: init.readTimeoutMs ?? READ_TIMEOUT_MS, writeTimeoutMs: init.writeTimeoutMs ?? WRITE_TIMEOUT_MS }
    this.maxInboundStreams = init.maxInboundStreams ?? maxStreamsPerPeer + INBOUND_STREAM_HEADROOM
    this.maxOutboundStreams = init.maxOutboundStreams ?? MAX_OUTBOUND_STREAMS
    // The server asks the current acceptor each time, so storage can be switched on later.
    const acceptor: PushAcceptor = { admit: async (from, header, options) => await this.acceptor.admit(from, header, options) }
    const names: NameAcceptor = { accept: async (from, record, options) => await this.names.accept(from, record, options) }
    const forward = init.forward === false ? undefined : async (peer: PeerId, header: PutHeader, options: AbortOptions): Promise<PutOpening> => await this.openPut(peer, header, options)
    this.server = new BlockServer({ store: init.store, acceptor, names, forward, logger: components.logger }, {
      maxStreamsPerPeer,
      readTimeoutMs: this.limits.readTimeoutMs,
      writeTimeoutMs: this.limits.writeTimeoutMs,
      maxPutBytes: init.maxPutBytes,
      maxBufferedPutBytes: init.maxBufferedPutBytes,
      minRequestRate: init.minRequestRate,
      wantBytesPerSecond: init.wantBytesPerSecond,
      proveBytesPerSecond: init.proveBytesPerSecond,
      namesPerSecond: init.namesPerSecond,
      forwardsPerPeer: init.forwardsPerPeer,
      forwardBytesPerSecond: init.forwardBytesPerSecond,
      events: init.events
    })
  }

  readonly [Symbol.toStringTag] = 'veil:block-exchange'

  async start (): Promise<void> {
    await this.components.registrar.handle(this.protocol, this.server.handle, {
      maxInboundStreams: this.maxInboundStreams,
      maxOutboundStreams: this.maxOutboundStreams
    })
    this.started = true
  }

  async stop (): Promise<void> {
    await this.components.registrar.unhandle(this.protocol)
    this.started = false
  }

  isStarted (): boolean {
    return this.started
  }

  /** Serve pushes with this acceptor from now on (a node turning storage on). */
  setAcceptor (acceptor: PushAcceptor): void {
    this.acceptor = acceptor
  }

  /** Keep pushed name records with this acceptor from now on (a storage node). */
  setNameAcceptor (names: NameAcceptor): void {
    this.names = names
  }

  /** Streams being served right now. */
  get activeStreams (): number {
    return this.server.activeStreams
  }

  /** Ask `peer` for blocks; each yielded block is verified against its CID. */
  async * want (peer: PeerId, cids: CID[], options: AbortOptions & { verify?: BlockVerifier } = {}): AsyncGenerator<WantResult> {
    const stream = await this.open(peer, options)
    let done = false
    try {
      yield * wantBlocks(stream, cids, this.limits, options)
      done = true
    } finally {
      // Early exit, error or abort: reset so the peer stops sending at once.
      if (!done) stream.abort(new Error('want ended early'))
    }
  }

  /**
   * Push blocks of one unit to `peer` in one PUT; resolves with what it said
   * of the PUT and of each block. A peer too busy to take it now is asked
   * again a few times, after growing pauses.
   */
  async push (peer: PeerId, put: PutRequest, options: AbortOptions = {}): Promise<PutReply> {
    return await retryWhileBusy(
      async () => await this.withStream(peer, options, async stream => await pushBlocks(stream, put, this.limits, options)),
      reply => !reply.admitted && reply.code === RefuseCode.Busy,
      options
    )
  }

  /**
   * Offer a PUT to `peer` and, once admitted, hand back the session that
   * sends its blocks one at a time (a node forwarding a chained PUT). No
   * retry: a busy next node cuts the chain, and the pusher tops up.
   */
  async openPut (peer: PeerId, header: PutHeader, options: AbortOptions = {}): Promise<PutOpening> {
    const stream = await this.open(peer, options)
    try {
      const opening = await openPut(stream, header, this.limits, options)
      return opening
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
  }

  /** Push a mutable link's record to `peer` (a storage node), to keep and republish. */
  async pushName (peer: PeerId, record: Uint8Array, options: AbortOptions = {}): Promise<NameReply> {
    return await this.withStream(peer, options, async stream => await pushNameRecord(stream, record, this.limits, options))
  }

  /** Challenge `peer` to prove it holds blocks (see proveBlocks); a busy peer is asked again a few times. */
  async prove (peer: PeerId, nonce: Uint8Array, cids: CID[], options: AbortOptions = {}): Promise<Array<Uint8Array | undefined>> {
    return await retryWhileBusy(
      async () => await this.withStream(peer, options, async stream => await proveBlocks(stream, nonce, cids, this.limits, options)),
      () => false,
      options
    )
  }

  private async open (peer: PeerId, options: AbortOptions): Promise<Stream> {
    // A signal of this request's own: libp2p's dial queue and stream negotiation hang listeners on
    // it until they end, and a caller's long-lived signal (a storage node's shutdown, a daemon
    // request) shared by many requests at once collected more than ten (MaxListenersExceededWarning).
    const signal = deadline(this.limits.readTimeoutMs, options.signal)
    // A stream per request: take it straight from an open connection when
    // there is one (openStream looks the peer up in the peer store each time).
    const connection = this.components.connectionManager.getConnections(peer).find(c => c.status === 'open')
    if (connection !== undefined) return await connection.newStream(this.protocol, { signal })
    return await this.components.connectionManager.openStream(peer, this.protocol, { signal })
  }

  private async withStream<T> (peer: PeerId, options: AbortOptions, work: (stream: Stream) => Promise<T>): Promise<T> {
    const stream = await this.open(peer, options)
    try {
      return await work(stream)
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
  }
}

export function blockExchange (init: BlockExchangeInit): (components: BlockExchangeComponents) => BlockExchange {
  return (components) => new BlockExchange(components, init)
}
