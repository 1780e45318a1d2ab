import { CID } from 'multiformats/cid'
import type { Uint8ArrayList } from 'uint8arraylist'
import { isSupportedCid, MAX_BLOCK_SIZE } from '../format/index.js'
import { TAG_LENGTH } from '../crypto/index.js'
import { ProtocolViolationError } from './errors.js'

/**
 * The byte-level pieces every message of the block exchange shares (see
 * messages.ts for the wire format): the type byte, the size limits of a
 * frame, frames that open with a CID, and a reader that checks every
 * length against the frame before slicing.
 */

/** Largest block on the wire: a 4 MiB plaintext block plus its tag. */
export const MAX_WIRE_BLOCK = MAX_BLOCK_SIZE + TAG_LENGTH
/** Largest frame: a block plus its header (type, CID length, CID). */
export const MAX_FRAME = MAX_WIRE_BLOCK + 128
export const MAX_REASON_BYTES = 200
export const MAX_CID_BYTES = 64

export enum MessageType {
  Want = 0x01,
  Put = 0x02,
  Prove = 0x03,
  Push = 0x04,
  Name = 0x05,
  Block = 0x10,
  None = 0x11,
  Ok = 0x12,
  Refuse = 0x13,
  Proof = 0x14,
  Ready = 0x15,
  Chain = 0x16,
  Error = 0x1f
}

export const encoder = new TextEncoder()
export const decoder = new TextDecoder('utf-8', { fatal: false })

export function withCid (type: MessageType, cid: CID, tail: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(2 + cid.bytes.length + tail.length)
  out[0] = type
  out[1] = cid.bytes.length
  out.set(cid.bytes, 2)
  out.set(tail, 2 + cid.bytes.length)
  return out
}

export function u64 (value: number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, Math.floor(value))))
  return out
}

export function flat (frame: Uint8Array | Uint8ArrayList): Uint8Array {
  return frame instanceof Uint8Array ? frame : frame.subarray()
}

/** Reads a frame front to back, failing with ProtocolViolationError on any overrun. */
export class FrameReader {
  private at = 0
  constructor (private readonly frame: Uint8Array) {}

  u8 (): number {
    if (this.at + 1 > this.frame.length) throw new ProtocolViolationError('frame ends early')
    return this.frame[this.at++]!
  }

  u16 (): number { return (this.u8() << 8) | this.u8() }

  u32 (): number { return ((this.u16() << 16) >>> 0) + this.u16() }

  /** A u64 that must fit a JS safe integer (times in ms, byte counts). */
  u64 (): number {
    const high = this.u32()
    const low = this.u32()
    if (high > 0x1fffff) throw new ProtocolViolationError('a 64-bit field out of range')
    return high * 0x1_0000_0000 + low
  }

  bytes (length: number): Uint8Array {
    if (length < 0 || this.at + length > this.frame.length) throw new ProtocolViolationError('frame ends early')
    const out = this.frame.subarray(this.at, this.at + length)
    this.at += length
    return out
  }

  cid (): CID {
    const length = this.u8()
    if (length === 0 || length > MAX_CID_BYTES) throw new ProtocolViolationError('bad CID length')
    let cid: CID
    try {
      // A copy: a CID decoded from a view keeps the whole frame (a pushed block) alive as long as the CID lives.
      cid = CID.decode(this.bytes(length).slice())
    } catch {
      throw new ProtocolViolationError('undecodable CID')
    }
    if (!isSupportedCid(cid)) throw new ProtocolViolationError('a CID Veil cannot verify')
    return cid
  }

  rest (): Uint8Array { return this.bytes(this.frame.length - this.at) }

  atEnd (): boolean { return this.at === this.frame.length }

  end (): void {
    if (this.at !== this.frame.length) throw new ProtocolViolationError('trailing bytes in frame')
  }
}
