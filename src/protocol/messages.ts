import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import type { Uint8ArrayList } from 'uint8arraylist'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { isSupportedCid, MAX_BLOCK_SIZE, MAX_TREE_HEIGHT } from '../format/index.js'
import { TAG_LENGTH } from '../crypto/index.js'
import { ProtocolViolationError } from './errors.js'

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
 */

/** Largest block on the wire: a 4 MiB plaintext block plus its tag. */
export const MAX_WIRE_BLOCK = MAX_BLOCK_SIZE + TAG_LENGTH
/** Largest frame: a block plus its header (type, CID length, CID). */
export const MAX_FRAME = MAX_WIRE_BLOCK + 128
/** Most CIDs in one WANT/PROVE (bounds a request's work and buffering). */
export const MAX_CIDS_PER_REQUEST = 64
/** Most blocks in one PUT. */
export const MAX_BLOCKS_PER_PUT = 64
/** Largest record a NAME carries: names/'s MAX_NAME_RECORD_SIZE (a test keeps them equal; protocol/ does not import names/). */
export const MAX_NAME_RECORD_SIZE = 2048
/** PUT flags: a hard expiry follows the flags byte. */
export const PUT_FLAG_EXPIRES = 0x01
/** PUT flags: the next storage nodes of a chain follow (after the expiry, if any). */
export const PUT_FLAG_CHAIN = 0x02
/** Most next nodes a chained PUT may name (a chain of 8 nodes with the one it is sent to). */
export const MAX_CHAIN_HOPS = 7
/** Longest peer id (multihash) in a chain: Ed25519 ids are 38 bytes, secp256k1 39, RSA (SHA-256) 34. */
export const MAX_PEER_ID_BYTES = 64
const MAX_REASON_BYTES = 200
const MAX_CID_BYTES = 64

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

/** What a PUT offers: `count` blocks of `unit`, `bytes` of block data in all. */
export interface PutHeader {
  unit: CID
  count: number
  bytes: number
  /** Keep the unit until then (ms since the epoch); 0 asks for the node's default lease. */
  leaseUntil: number
  /**
   * Where the unit sits in its share, when the pusher knows: the root, then
   * each index node down to the unit's parent (so a storage node can check
   * a segment belongs to a share and is not junk). Absent for a root.
   */
  path?: CID[]
  /**
   * A hard expiry (ms since the epoch): the node deletes the unit then,
   * whatever room it has, and never keeps it longer (a share made with
   * `--expires`). Absent: none.
   */
  expires?: number
  /**
   * The next storage nodes of a chain (1–MAX_CHAIN_HOPS, distinct): the
   * node that takes this PUT forwards it, block by block as they arrive,
   * to the first of them, naming the rest as that one's chain, and reports
   * what each said (READY) and which hold every block (CHAIN). Absent: a
   * plain PUT.
   */
  chain?: PeerId[]
}

/**
 * What one next node of a chain said: admitted (READY) or holds every block
 * of the PUT durably (CHAIN), kept until `keptUntil`; or refused or failed,
 * with a RefuseCode and why.
 */
export type HopStatus =
  | { ok: true, keptUntil: number }
  | { ok: false, code: number, reason: string }

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

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: false })

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

export function encodePut (header: PutHeader): Uint8Array {
  const { count, bytes, leaseUntil, unit } = header
  if (!Number.isInteger(count) || count < 1 || count > MAX_BLOCKS_PER_PUT) throw new RangeError(`a PUT carries 1–${MAX_BLOCKS_PER_PUT} blocks`)
  if (!Number.isInteger(bytes) || bytes < 0 || bytes > count * MAX_WIRE_BLOCK) throw new RangeError('a PUT\'s byte count must fit its blocks')
  if (!Number.isSafeInteger(leaseUntil) || leaseUntil < 0) throw new RangeError('a lease is a time in ms since the epoch, or 0')
  const path = header.path ?? []
  if (path.length > MAX_TREE_HEIGHT) throw new RangeError(`a unit's path has at most ${MAX_TREE_HEIGHT} nodes`)
  const expires = header.expires
  if (expires !== undefined && (!Number.isSafeInteger(expires) || expires <= 0)) throw new RangeError('a hard expiry is a time in ms since the epoch')
  const chain = header.chain?.map(peer => peer.toMultihash().bytes)
  if (chain !== undefined) {
    if (chain.length < 1 || chain.length > MAX_CHAIN_HOPS) throw new RangeError(`a chain names 1–${MAX_CHAIN_HOPS} next nodes`)
    if (chain.some(id => id.length > MAX_PEER_ID_BYTES)) throw new RangeError(`a peer id in a chain is at most ${MAX_PEER_ID_BYTES} bytes`)
  }
  const pathBytes = path.length === 0 ? 0 : 1 + path.reduce((sum, cid) => sum + 1 + cid.bytes.length, 0)
  const chainBytes = chain === undefined ? 0 : 1 + chain.reduce((sum, id) => sum + 1 + id.length, 0)
  const head = 16 + (expires === undefined ? 0 : 8) + chainBytes
  const out = new Uint8Array(head + 1 + unit.bytes.length + pathBytes)
  const view = new DataView(out.buffer)
  out[0] = MessageType.Put
  view.setUint16(1, count)
  view.setUint32(3, bytes)
  view.setBigUint64(7, BigInt(leaseUntil))
  out[15] = (expires === undefined ? 0 : PUT_FLAG_EXPIRES) | (chain === undefined ? 0 : PUT_FLAG_CHAIN)
  let at = 16
  if (expires !== undefined) { view.setBigUint64(16, BigInt(expires)); at += 8 }
  if (chain !== undefined) {
    out[at++] = chain.length
    for (const id of chain) {
      out[at++] = id.length
      out.set(id, at)
      at += id.length
    }
  }
  out[head] = unit.bytes.length
  out.set(unit.bytes, head + 1)
  if (path.length > 0) {
    let at = head + 1 + unit.bytes.length
    out[at++] = path.length
    for (const cid of path) {
      out[at++] = cid.bytes.length
      out.set(cid.bytes, at)
      at += cid.bytes.length
    }
  }
  return out
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

function withCid (type: MessageType, cid: CID, tail: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(2 + cid.bytes.length + tail.length)
  out[0] = type
  out[1] = cid.bytes.length
  out.set(cid.bytes, 2)
  out.set(tail, 2 + cid.bytes.length)
  return out
}

export function encodeNone (cid: CID): Uint8Array { return withCid(MessageType.None, cid) }
export function encodeOk (cid: CID): Uint8Array { return withCid(MessageType.Ok, cid) }
export function encodeProof (cid: CID, proof: Uint8Array): Uint8Array { return withCid(MessageType.Proof, cid, proof) }

function u64 (value: number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, Math.floor(value))))
  return out
}

function hopList (hops: HopStatus[]): Uint8Array {
  if (hops.length > MAX_CHAIN_HOPS) throw new RangeError(`a chain names at most ${MAX_CHAIN_HOPS} next nodes`)
  const parts: Uint8Array[] = [Uint8Array.of(hops.length)]
  for (const hop of hops) {
    if (hop.ok) {
      parts.push(Uint8Array.of(0), u64(hop.keptUntil))
    } else {
      if (!Number.isInteger(hop.code) || hop.code < 1 || hop.code > 0xff) throw new RangeError('a failed hop carries a refusal code 1–255')
      const text = encoder.encode(hop.reason).subarray(0, MAX_REASON_BYTES)
      parts.push(Uint8Array.of(hop.code, text.length), text)
    }
  }
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) { out.set(part, at); at += part.length }
  return out
}

/** READY: the PUT is admitted; a chained PUT's also says what each next node of its chain said. */
export function encodeReady (unit: CID, keptUntil: number, hops?: HopStatus[]): Uint8Array {
  const kept = u64(keptUntil)
  if (hops === undefined) return withCid(MessageType.Ready, unit, kept)
  const list = hopList(hops)
  const tail = new Uint8Array(kept.length + list.length)
  tail.set(kept)
  tail.set(list, kept.length)
  return withCid(MessageType.Ready, unit, tail)
}

/** CHAIN: after a chained PUT's answers, which next nodes hold every block of it durably. */
export function encodeChain (unit: CID, hops: HopStatus[]): Uint8Array {
  return withCid(MessageType.Chain, unit, hopList(hops))
}

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

/** Reads a frame front to back, failing with ProtocolViolationError on any overrun. */
class FrameReader {
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

function readHops (reader: FrameReader): HopStatus[] {
  const count = reader.u8()
  if (count === 0 || count > MAX_CHAIN_HOPS) throw new ProtocolViolationError(`a chain names 1–${MAX_CHAIN_HOPS} next nodes`)
  const hops: HopStatus[] = []
  for (let i = 0; i < count; i++) {
    const status = reader.u8()
    if (status === 0) {
      hops.push({ ok: true, keptUntil: reader.u64() })
    } else {
      const length = reader.u8()
      if (length > MAX_REASON_BYTES) throw new ProtocolViolationError('a hop\'s reason is too long')
      hops.push({ ok: false, code: status, reason: decoder.decode(reader.bytes(length)) })
    }
  }
  return hops
}

/** A chain's next nodes: 1–MAX_CHAIN_HOPS distinct peer ids, each length checked before it is read. */
function readChain (reader: FrameReader): PeerId[] {
  const count = reader.u8()
  if (count === 0 || count > MAX_CHAIN_HOPS) throw new ProtocolViolationError(`a chain names 1–${MAX_CHAIN_HOPS} next nodes`)
  const peers: PeerId[] = []
  for (let i = 0; i < count; i++) {
    const length = reader.u8()
    if (length === 0 || length > MAX_PEER_ID_BYTES) throw new ProtocolViolationError('bad peer id length in a chain')
    const bytes = reader.bytes(length).slice()
    let peer: PeerId
    try {
      peer = peerIdFromMultihash(Digest.decode(bytes))
    } catch {
      throw new ProtocolViolationError('undecodable peer id in a chain')
    }
    if (peers.some(p => p.equals(peer))) throw new ProtocolViolationError('a chain names a node twice')
    peers.push(peer)
  }
  return peers
}

function flat (frame: Uint8Array | Uint8ArrayList): Uint8Array {
  return frame instanceof Uint8Array ? frame : frame.subarray()
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
  const known = PUT_FLAG_EXPIRES | (options.chain === false ? 0 : PUT_FLAG_CHAIN)
  const reader = new FrameReader(flat(frame))
  const type = reader.u8()
  let request: Request
  if (type === MessageType.Want) {
    request = { type, cids: readCids(reader) }
  } else if (type === MessageType.Put) {
    const count = reader.u16()
    if (count === 0 || count > MAX_BLOCKS_PER_PUT) throw new ProtocolViolationError(`a PUT must carry 1–${MAX_BLOCKS_PER_PUT} blocks`)
    const bytes = reader.u32()
    if (bytes > count * MAX_WIRE_BLOCK) throw new ProtocolViolationError('a PUT declares more bytes than its blocks can hold')
    const leaseUntil = reader.u64()
    const flags = reader.u8()
    if ((flags & ~known) !== 0) throw new ProtocolViolationError(`unknown PUT flags 0x${flags.toString(16)}`)
    let expires: number | undefined
    if ((flags & PUT_FLAG_EXPIRES) !== 0) {
      expires = reader.u64()
      if (expires === 0) throw new ProtocolViolationError('a PUT\'s hard expiry is 0')
    }
    const chain = (flags & PUT_FLAG_CHAIN) !== 0 ? readChain(reader) : undefined
    const unit = reader.cid()
    request = { type, count, bytes, leaseUntil, unit }
    if (expires !== undefined) request.expires = expires
    if (chain !== undefined) request.chain = chain
    if (!reader.atEnd()) {
      const length = reader.u8()
      if (length === 0 || length > MAX_TREE_HEIGHT) throw new ProtocolViolationError(`a unit's path has 1–${MAX_TREE_HEIGHT} nodes`)
      request.path = Array.from({ length }, () => reader.cid())
    }
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
