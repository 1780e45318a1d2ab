import type { CID } from 'multiformats/cid'
import type { Uint8ArrayList } from 'uint8arraylist'
import { ProtocolViolationError } from './errors.js'
import { FrameReader, MAX_CID_BYTES, MAX_REASON_BYTES, MAX_WIRE_BLOCK, MessageType, decoder, encoder, flat, withCid } from './codec.js'
import { readHops, readPut, type HopStatus, type PutHeader } from './put-messages.js'

/**
 * Messages of the block exchange protocol (one request per stream, then its
 * responses), each one length-prefixed frame:
 *
 *   request   WANT   0x01 u16 n, n × (u8 len, cid)        ask for n blocks
 *             PUT    0x02 u16 n, u32 bytes, u64 lease,    offer n blocks (`bytes` in all) of
 *                         u8 flags, [u64 expires],        one unit, to keep until `lease`
 *                         [u8 h, h × (u8 len, peer id)],  (ms since the epoch; 0: the node's default);
 *                         u8 len, unit cid,               flags bit 0 (EXPIRES): a hard expiry follows,
 *                         [u8 k, k × (u8 len, cid)]       after which the unit must be deleted (no
 *                                                         lease or renewal goes past it); bit 1 (CHAIN):
 *                                                         the next h (1–7) storage nodes of a chain follow
 *                                                         (peer id multihashes): the node forwards the PUT
 *                                                         to the first, with the rest as its chain; other
 *                                                         bits 0; optionally with the unit's path: the share
 *                                                         root, then each node down to the one that lists it
 *             PROVE  0x03 32-byte nonce, u16 n, n × cid   prove possession
 *             NAME   0x05 record                          keep and republish a mutable link's signed
 *                                                         record (≤ 2 KiB; its value sealed: the node
 *                                                         learns nothing of what it points to); answered
 *                                                         OK or REFUSE naming the record's own CID
 *                                                         (dag-cbor, sha2-256: the record is dag-cbor)
 *   push      PUSH   0x04 u8 len, cid, bytes              one pushed block
 *   response  BLOCK  0x10 u8 len, cid, bytes
 *             NONE   0x11 u8 len, cid                     not held
 *             OK     0x12 u8 len, cid                     push stored durably
 *             REFUSE 0x13 u8 len, cid, u8 code, utf8 reason
 *             PROOF  0x14 u8 len, cid, 32 bytes           SHA-256(nonce ‖ block)
 *             READY  0x15 u8 len, unit cid, u64 kept      PUT admitted: send the n PUSH frames;
 *                         [u8 h, h × hop]                 the unit is kept at least until `kept`; a chained
 *                                                         PUT's READY says what each of its h next nodes
 *                                                         said to the header (admitted or not)
 *             CHAIN  0x16 u8 len, unit cid, u8 h, h × hop after a chained PUT's n answers: which next
 *                                                         nodes hold every block of the PUT durably
 *             ERROR  0x1f u8 code, utf8 message           request failed; stream ends
 *
 *   hop       u8 0, u64 kept                          admitted (READY) / every block durable (CHAIN)
 *             u8 code, u8 len, utf8 reason            refused or failed: a RefuseCode, and why
 *
 * A PUT is admitted or refused from its header alone, before any block is
 * sent: the node answers READY, or one REFUSE naming the unit, and only then
 * do the blocks travel. After the blocks it answers OK or REFUSE for each.
 *
 * Binary rather than dag-cbor so a 1 MiB block is never copied by an encoder.
 * Every decoder checks lengths against the frame before slicing.
 *
 * This file holds the request and response unions and the frames every
 * request uses; the PUT header and a chained PUT's hop lists are in
 * put-messages.ts, the type byte, limits and frame reader in codec.ts.
 */

/** Most CIDs in one WANT/PROVE (bounds a request's work and buffering). */
export const MAX_CIDS_PER_REQUEST = 64
/** Largest record a NAME carries: names/'s MAX_NAME_RECORD_SIZE (a test keeps them equal; protocol/ does not import names/). */
export const MAX_NAME_RECORD_SIZE = 2048

export type Request =
  | { type: MessageType.Want, cids: CID[] }
  | ({ type: MessageType.Put } & PutHeader)
  | { type: MessageType.Prove, nonce: Uint8Array, cids: CID[] }
  | { type: MessageType.Name, record: Uint8Array }

export type Response =
  | { type: MessageType.Block, cid: CID, bytes: Uint8Array }
  | { type: MessageType.None, cid: CID }
  | { type: MessageType.Ok, cid: CID }
  | { type: MessageType.Refuse, cid: CID, code: number, reason: string }
  | { type: MessageType.Proof, cid: CID, proof: Uint8Array }
  | { type: MessageType.Ready, cid: CID, keptUntil: number, hops?: HopStatus[] }
  | { type: MessageType.Chain, cid: CID, hops: HopStatus[] }
  | { type: MessageType.Error, code: number, message: string }

export interface Push { cid: CID, bytes: Uint8Array }

// --- encoding ------------------------------------------------------------------

function cidList (type: MessageType, cids: CID[], prefix?: Uint8Array): Uint8Array {
  if (cids.length > MAX_CIDS_PER_REQUEST) throw new RangeError(`at most ${MAX_CIDS_PER_REQUEST} CIDs per request`)
  const size = 1 + (prefix?.length ?? 0) + 2 + cids.reduce((sum, cid) => sum + 1 + cid.bytes.length, 0)
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  out[0] = type
  let at = 1
  if (prefix !== undefined) { out.set(prefix, at); at += prefix.length }
  view.setUint16(at, cids.length)
  at += 2
  for (const cid of cids) {
    out[at++] = cid.bytes.length
    out.set(cid.bytes, at)
    at += cid.bytes.length
  }
  return out
}

export function encodeWant (cids: CID[]): Uint8Array { return cidList(MessageType.Want, cids) }

export function encodeProve (nonce: Uint8Array, cids: CID[]): Uint8Array {
  if (nonce.length !== 32) throw new RangeError('a proof nonce is 32 bytes')
  return cidList(MessageType.Prove, cids, nonce)
}

/** NAME: a mutable link's signed record, to keep and republish. */
export function encodeName (record: Uint8Array): Uint8Array {
  if (record.length === 0 || record.length > MAX_NAME_RECORD_SIZE) throw new RangeError(`a name record is 1–${MAX_NAME_RECORD_SIZE} bytes`)
  const out = new Uint8Array(1 + record.length)
  out[0] = MessageType.Name
  out.set(record, 1)
  return out
}

/** Header of a frame that carries block bytes; the bytes go out as a second buffer (no copy). */
export function blockHeader (type: MessageType.Push | MessageType.Block, cid: CID): Uint8Array {
  const out = new Uint8Array(2 + cid.bytes.length)
  out[0] = type
  out[1] = cid.bytes.length
  out.set(cid.bytes, 2)
  return out
}

export function encodeNone (cid: CID): Uint8Array { return withCid(MessageType.None, cid) }
export function encodeOk (cid: CID): Uint8Array { return withCid(MessageType.Ok, cid) }
export function encodeProof (cid: CID, proof: Uint8Array): Uint8Array { return withCid(MessageType.Proof, cid, proof) }

export function encodeRefuse (cid: CID, code: number, reason: string): Uint8Array {
  const text = encoder.encode(reason).subarray(0, MAX_REASON_BYTES)
  return withCid(MessageType.Refuse, cid, Uint8Array.of(code, ...text))
}

export function encodeError (code: number, message: string): Uint8Array {
  const text = encoder.encode(message).subarray(0, MAX_REASON_BYTES)
  const out = new Uint8Array(2 + text.length)
  out[0] = MessageType.Error
  out[1] = code
  out.set(text, 2)
  return out
}

// --- decoding ------------------------------------------------------------------

/**
 * A BLOCK frame arrives as a list of transport chunks. Read the small header
 * from its front and copy the block bytes out once, into a buffer of their
 * own — which a worker thread can then take without another copy.
 */
function decodeBlockFrame (frame: Uint8Array | Uint8ArrayList): Response {
  const head = new FrameReader(frame.subarray(0, Math.min(frame.byteLength, 2 + MAX_CID_BYTES)))
  head.u8()
  const cid = head.cid()
  const start = 2 + cid.bytes.length
  const length = frame.byteLength - start
  if (length > MAX_WIRE_BLOCK) throw new ProtocolViolationError('block too large')
  // Not zero-filled first: every byte is overwritten just below.
  const bytes = new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length)
  if (frame instanceof Uint8Array) bytes.set(frame.subarray(start))
  else {
    let at = 0
    for (const chunk of frame.sublist(start)) {
      bytes.set(chunk, at)
      at += chunk.byteLength
    }
  }
  return { type: MessageType.Block, cid, bytes }
}

function readCids (reader: FrameReader): CID[] {
  const count = reader.u16()
  if (count === 0 || count > MAX_CIDS_PER_REQUEST) throw new ProtocolViolationError(`a request must name 1–${MAX_CIDS_PER_REQUEST} CIDs`)
  const cids: CID[] = []
  for (let i = 0; i < count; i++) cids.push(reader.cid())
  return cids
}

/**
 * Decode a request frame. `chain: false` reads the CHAIN flag as an unknown
 * bit, as nodes before chain replication did (a node that does not forward).
 */
export function decodeRequest (frame: Uint8Array | Uint8ArrayList, options: { chain?: boolean } = {}): Request {
  const reader = new FrameReader(flat(frame))
  const type = reader.u8()
  let request: Request
  if (type === MessageType.Want) {
    request = { type, cids: readCids(reader) }
  } else if (type === MessageType.Put) {
    request = readPut(reader, options)
  } else if (type === MessageType.Prove) {
    const nonce = reader.bytes(32).slice()
    request = { type, nonce, cids: readCids(reader) }
  } else if (type === MessageType.Name) {
    const record = reader.rest().slice()
    if (record.length === 0 || record.length > MAX_NAME_RECORD_SIZE) throw new ProtocolViolationError(`a name record is 1–${MAX_NAME_RECORD_SIZE} bytes`)
    request = { type, record }
  } else {
    throw new ProtocolViolationError(`unknown request type ${type}`)
  }
  reader.end()
  return request
}

export function decodePush (frame: Uint8Array | Uint8ArrayList): Push {
  const reader = new FrameReader(flat(frame))
  if (reader.u8() !== MessageType.Push) throw new ProtocolViolationError('expected a PUSH frame')
  const cid = reader.cid()
  const bytes = reader.rest()
  if (bytes.length > MAX_WIRE_BLOCK) throw new ProtocolViolationError('pushed block too large')
  return { cid, bytes }
}

export function decodeResponse (frame: Uint8Array | Uint8ArrayList): Response {
  if (frame.byteLength > 0 && frame.subarray(0, 1)[0] === MessageType.Block) return decodeBlockFrame(frame)
  const reader = new FrameReader(flat(frame))
  const type = reader.u8()
  switch (type) {
    case MessageType.None:
    case MessageType.Ok: {
      const cid = reader.cid()
      reader.end()
      return { type, cid }
    }
    case MessageType.Refuse: {
      const cid = reader.cid()
      const code = reader.u8()
      const reason = decoder.decode(reader.rest().subarray(0, MAX_REASON_BYTES))
      return { type, cid, code, reason }
    }
    case MessageType.Proof: {
      const cid = reader.cid()
      const proof = reader.bytes(32).slice()
      reader.end()
      return { type, cid, proof }
    }
    case MessageType.Ready: {
      const cid = reader.cid()
      const keptUntil = reader.u64()
      const hops = reader.atEnd() ? undefined : readHops(reader)
      reader.end()
      return hops === undefined ? { type, cid, keptUntil } : { type, cid, keptUntil, hops }
    }
    case MessageType.Chain: {
      const cid = reader.cid()
      const hops = readHops(reader)
      reader.end()
      return { type, cid, hops }
    }
    case MessageType.Error: {
      const code = reader.u8()
      return { type, code, message: decoder.decode(reader.rest().subarray(0, MAX_REASON_BYTES)) }
    }
    default:
      throw new ProtocolViolationError(`unknown response type ${type}`)
  }
}
