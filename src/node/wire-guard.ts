import type { Uint8ArrayList } from 'uint8arraylist'

/*
 * A guard on the length prefixes that libp2p's own readers parse.
 *
 * Veil's block exchange reads its frames with a bounded length decoder
 * (src/protocol/frames.ts), but libp2p reads varint-prefixed frames of its
 * own with `lpStream`'s default decoder, which retries an unterminated prefix
 * byte by byte without yielding: multistream-select on every new TCP
 * connection (before any handshake), multistream-select on every new stream,
 * then kad-dht and identify. Measured before this guard: 1 MiB of 0xff sent
 * on a bare TCP connection stalled a node's event loop 0.8 s; 2 MiB on a
 * kad-dht stream, 6.7 s. Those readers take no custom decoder, so the guard
 * watches the bytes before they do: it takes in every chunk a connection or
 * stream receives, follows the varint framing, and when a prefix runs longer
 * than any legal one it drops the chunk and resets the stream (or closes the
 * connection).
 *
 * For a reader that takes no length limit either (kad-dht), it also refuses
 * a frame announcing more than the protocol's `maxFrame` before any of it is
 * buffered.
 *
 * It follows multistream-select to know when to step aside: once a protocol
 * whose bytes are not varint-framed is agreed (Noise on a connection, ping on
 * a stream), it steps aside. A protocol added later whose payload is
 * not varint-framed must be listed in `unframed` (see libp2p-options.ts), or
 * the guard may reset its streams.
 */

/** The multistream-select header line; `ls` and `na` are its other control lines. */
const MSS_HEADER = '/multistream/1.0.0'
/** multistream-select's longest line (go-multistream and js agree). */
const MAX_MSS_LINE = 1024
/** Longest prefix a multistream line may have (its length ≤ 1024 needs 2 bytes). */
const MAX_MSS_PREFIX = 2
/**
 * Longest prefix of a protocol frame: 5 bytes is 2^35, past every frame any
 * protocol here reads (≤ 4 MiB + a header); libp2p's decoder reads up to 8.
 */
export const MAX_FRAME_PREFIX = 5

export type GuardDirection = 'inbound' | 'outbound'

/** What a guard is told about the protocols on the other side of multistream-select. */
export interface GuardProtocols {
  /** Inbound: does this node handle `protocol` (multistream-select will accept it)? */
  supported: (protocol: string) => boolean
  /** Is `protocol`'s payload something other than varint-prefixed frames? */
  unframed: (protocol: string) => boolean
  /**
   * The largest frame `protocol` may announce, for readers that take no limit
   * of their own (kad-dht buffers up to 4 MiB waiting for a frame's body).
   * Default: no limit beyond the prefix's length.
   */
  maxFrame?: (protocol: string) => number | undefined
}

type Phase = 'negotiating' | 'framed' | 'off'

/**
 * Follows the varint framing of one direction of a connection or stream.
 * `scan` returns why the bytes must be refused, or undefined when they are
 * fine; after 'off' (an unframed protocol was agreed) it reads nothing more.
 */
export class FrameScanner {
  phase: Phase = 'negotiating'
  private prefixBytes = 0
  private length = 0
  private scale = 1
  /** Body bytes left in the current frame; -1 while reading a prefix. */
  private remaining = -1
  /** The multistream line being collected (at most MAX_MSS_LINE bytes). */
  private line: Uint8Array | undefined
  private lineAt = 0
  /** The agreed protocol's frame limit. */
  private maxFrame = Infinity
  private protocol = ''

  /** `agreed`: a protocol already negotiated some other way (no multistream-select follows). */
  /** An unframed protocol was agreed: nothing more to read. */
  get off (): boolean { return this.phase === 'off' }

  constructor (private readonly direction: GuardDirection, private readonly protocols: GuardProtocols, agreed?: string) {
    if (agreed !== undefined && agreed !== '') this.agree(agreed)
  }

  private agree (protocol: string): void {
    this.phase = this.protocols.unframed(protocol) ? 'off' : 'framed'
    this.protocol = protocol
    this.maxFrame = this.protocols.maxFrame?.(protocol) ?? Infinity
  }

  scan (chunk: Uint8Array | Uint8ArrayList): string | undefined {
    if (chunk instanceof Uint8Array) return this.scanBuffer(chunk)
    for (const buffer of chunk) {
      const refused = this.scanBuffer(buffer)
      if (refused !== undefined || this.phase === 'off') return refused
    }
    return undefined
  }

  private scanBuffer (buffer: Uint8Array): string | undefined {
    let at = 0
    while (at < buffer.length && this.phase !== 'off') {
      if (this.remaining < 0) {
        const byte = buffer[at++]!
        this.length += (byte & 0x7f) * this.scale
        this.prefixBytes++
        const limit = this.phase === 'negotiating' ? MAX_MSS_PREFIX : MAX_FRAME_PREFIX
        if (byte >= 0x80) {
          if (this.prefixBytes >= limit) return `a length prefix longer than ${limit} bytes (${this.phase === 'negotiating' ? 'protocol negotiation' : 'protocol frame'})`
          this.scale *= 128
          continue
        }
        if (this.phase === 'negotiating') {
          if (this.length > MAX_MSS_LINE) return `a protocol negotiation line of ${this.length} bytes (at most ${MAX_MSS_LINE})`
          this.line = new Uint8Array(this.length)
          this.lineAt = 0
        } else if (this.length > this.maxFrame) {
          return `a ${this.protocol} frame of ${this.length} bytes (at most ${this.maxFrame})`
        }
        this.remaining = this.length
        this.prefixBytes = 0
        this.length = 0
        this.scale = 1
      } else {
        const take = Math.min(this.remaining, buffer.length - at)
        if (this.line !== undefined) this.line.set(buffer.subarray(at, at + take), this.lineAt)
        this.lineAt += take
        at += take
        this.remaining -= take
      }
      if (this.remaining === 0) this.frameEnded()
    }
    return undefined
  }

  private frameEnded (): void {
    this.remaining = -1
    const line = this.line
    this.line = undefined
    if (line === undefined) return
    const text = new TextDecoder().decode(line).trimEnd()
    if (text === MSS_HEADER || text === 'ls' || text === 'na') return
    // A protocol: inbound, multistream-select accepts it only if we handle
    // it (else it answers "na" and reads another line); outbound, a line
    // that is not "na" is the peer agreeing to what we proposed.
    if (this.direction === 'inbound' && !this.protocols.supported(text)) return
    this.agree(text)
  }
}

/**
 * The parts of a libp2p connection or stream the guard uses: `onData` is
 * where every libp2p 3 message stream (TCP socket, pnet, Noise, Yamux
 * stream) takes in bytes from below, before buffering or dispatching them.
 */
export interface GuardedTarget {
  onData(data: Uint8Array | Uint8ArrayList): void
  abort(err: Error): void
  /** Bytes taken in but not yet dispatched to any reader (AbstractMessageStream's). */
  readBuffer?: Uint8ArrayList
}

/** A peer sent a length prefix no protocol here can have. */
export class WireGuardError extends Error {
  override name = 'WireGuardError'
  readonly code = 'ERR_WIRE_GUARD'
}

export interface WireGuardStats {
  /** Connections and streams watched since start. */
  watched: number
  /** Of those, reset for an illegal length prefix. */
  refused: number
}

/**
 * Installs a FrameScanner on connections and streams and keeps count. It
 * wraps the target's `onData`, so it sees each chunk before any reader does
 * (and before the stream buffers it), without being a 'message' listener: a
 * listener would make the stream dispatch bytes that arrive while no reader
 * is attached yet (between multistream-select and the protocol handler),
 * and the handler would never see them.
 */
export class WireGuard {
  readonly stats: WireGuardStats = { watched: 0, refused: 0 }
  /** Told of each refusal (the node logs it). */
  onRefused: (reason: string, direction: GuardDirection) => void

  constructor (onRefused: (reason: string, direction: GuardDirection) => void = () => {}) {
    this.onRefused = onRefused
  }

  watch (target: GuardedTarget, direction: GuardDirection, protocols: GuardProtocols, agreed?: string): void {
    const scanner = new FrameScanner(direction, protocols, agreed)
    if (scanner.off) return
    this.stats.watched++
    const onData = target.onData
    const refuse = (reason: string): void => {
      target.onData = onData
      this.stats.refused++
      this.onRefused(reason, direction)
      target.abort(new WireGuardError(`the peer sent ${reason}: reset`))
    }
    // pnet's wrapper takes in the first bytes before the upgrader hands it
    // over: they wait, unread, in its buffer. Read them first.
    const early = target.readBuffer !== undefined && target.readBuffer.byteLength > 0 ? scanner.scan(target.readBuffer) : undefined
    if (early !== undefined) { refuse(early); return }
    if (scanner.off) return
    target.onData = (data: Uint8Array | Uint8ArrayList): void => {
      const refused = scanner.scan(data)
      // The bytes of a refused chunk never reach the reader that would spin on them.
      if (refused !== undefined) { refuse(refused); return }
      // Past an unframed protocol's agreement: step aside for good.
      if (scanner.off) target.onData = onData
      onData.call(target, data)
    }
  }
}
