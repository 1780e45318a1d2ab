import type { Stream } from '@libp2p/interface'
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import type { Uint8ArrayList } from 'uint8arraylist'
import { ProtocolViolationError } from './errors.js'
import { MAX_FRAME } from './codec.js'

/*
 * Length prefixes of the block exchange, read so that no peer can make the
 * reader spin. `lpStream` from @libp2p/utils reads a prefix one byte at a
 * time and calls its length decoder after each byte; its default decoder
 * throws RangeError until the varint ends, and lpStream retries on RangeError
 * without a limit and without yielding while bytes are buffered. A stream of
 * 0xff bytes (a varint that never ends) therefore kept the event loop busy
 * for 7.8 s (2 MiB on one stream, measured) and no read deadline could fire.
 * The decoder here gives up with a ProtocolViolationError once the prefix is
 * longer than any legal one: at most five calls per frame.
 */

/** Bytes of the longest minimal unsigned varint of a value up to `max`. */
export function varintLength (max: number): number {
  let bytes = 1
  for (let rest = Math.floor(max / 128); rest > 0; rest = Math.floor(rest / 128)) bytes++
  return bytes
}

function byteAt (data: Uint8ArrayList | Uint8Array, index: number): number {
  return data instanceof Uint8Array ? data[index]! : data.get(index)
}

/**
 * A length decoder for `lpStream` that accepts only minimal varints of at
 * most `maxLength`: it throws RangeError (lpStream then reads one more byte)
 * only while the prefix could still be legal, and ProtocolViolationError as
 * soon as it cannot — an unterminated, redundant or oversize prefix.
 */
export function boundedLengthDecoder (maxLength: number): (data: Uint8ArrayList | Uint8Array) => number {
  const maxBytes = varintLength(maxLength)
  return (data) => {
    let value = 0
    let scale = 1
    const available = Math.min(data.byteLength, maxBytes)
    for (let i = 0; i < available; i++) {
      const byte = byteAt(data, i)
      value += (byte & 0x7f) * scale
      if (byte < 0x80) {
        if (byte === 0 && i > 0) throw new ProtocolViolationError('a frame length prefix has redundant bytes (not a minimal varint)')
        if (value > maxLength) throw new ProtocolViolationError(`a frame of ${value} bytes is too long (at most ${maxLength})`)
        return value
      }
      scale *= 128
    }
    if (data.byteLength >= maxBytes) {
      throw new ProtocolViolationError(`a frame length prefix runs past ${maxBytes} bytes: too long for any frame (at most ${maxLength} bytes)`)
    }
    throw new RangeError('the length prefix continues') // lpStream reads one more byte and asks again
  }
}

/** The decoder every block exchange stream uses: frames up to MAX_FRAME. */
export const frameLengthDecoder = boundedLengthDecoder(MAX_FRAME)

/**
 * Largest request frame (the first frame on a served stream): a WANT or
 * PROVE of MAX_CIDS_PER_REQUEST CIDs is under 4.2 KiB, a PUT header 3 bytes.
 * Raise it if a request ever carries more.
 */
export const MAX_REQUEST_FRAME = 16 * 1024

/** A decoder whose first frame may be at most `first` bytes, the rest MAX_FRAME. */
function firstFrameDecoder (first: number): (data: Uint8ArrayList | Uint8Array) => number {
  const firstDecoder = boundedLengthDecoder(first)
  let frames = 0
  return (data) => {
    const length = (frames === 0 ? firstDecoder : frameLengthDecoder)(data)
    frames++
    return length
  }
}

/**
 * Length-prefixed frames over a block exchange stream: each frame at most
 * MAX_FRAME bytes (the first at most `maxFirstFrame`), its prefix bounded
 * (see above), and at most `maxBufferSize` bytes buffered before the stream
 * is reset.
 */
export function frameStream (stream: Stream, maxBufferSize: number, maxFirstFrame = MAX_FRAME): LengthPrefixedStream<Stream> {
  const lengthDecoder = maxFirstFrame >= MAX_FRAME ? frameLengthDecoder : firstFrameDecoder(maxFirstFrame)
  return lpStream(stream, { maxDataLength: MAX_FRAME, maxBufferSize, lengthDecoder })
}

/*
 * A served stream carries one request, then only answers. lpStream keeps
 * taking in whatever the peer sends after it (up to the reader's whole
 * buffer, 24 MiB on the server: 16 streams of 4 MiB frames after a WANT grew
 * a node by 417 MiB), and Yamux grants more window as soon as bytes arrive.
 */

/**
 * Read no more from `stream`: nothing more is dispatched or buffered past
 * what the peer's current Yamux window lets it send, and no window is
 * granted. For a served stream once its request has been read.
 */
export function stopReading (stream: Stream): void {
  if (stream.readStatus === 'readable') stream.pause()
}

/**
 * End a served stream: flush the answers and close our side; then, if the
 * peer has not closed its side too (every honest client does right after its
 * request), reset the stream, so a peer cannot keep served streams half-open,
 * holding their buffers.
 */
export async function endServedStream (stream: Stream, options: { signal: AbortSignal }): Promise<void> {
  await stream.close(options)
  if (stream.remoteWriteStatus !== 'closed') stream.abort(new ProtocolViolationError('the peer kept its side of the stream open after its request'))
}
