import type { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { MAX_TREE_HEIGHT } from '../format/index.js'
import { ProtocolViolationError } from './errors.js'
import { FrameReader, MAX_REASON_BYTES, MAX_WIRE_BLOCK, MessageType, decoder, encoder, u64, withCid } from './codec.js'

/**
 * The PUT request and the frames that answer a chained one (READY's and
 * CHAIN's hop lists); the wire format is in messages.ts:
 *
 *   PUT    0x02 u16 n, u32 bytes, u64 lease, u8 flags, [u64 expires],
 *              [u8 h, h × (u8 len, peer id)], u8 len, unit cid, [u8 k, k × (u8 len, cid)]
 *   READY  0x15 u8 len, unit cid, u64 kept, [u8 h, h × hop]
 *   CHAIN  0x16 u8 len, unit cid, u8 h, h × hop
 *   hop    u8 0, u64 kept  |  u8 code, u8 len, utf8 reason
 */

/** Most blocks in one PUT. */
export const MAX_BLOCKS_PER_PUT = 64
/** PUT flags: a hard expiry follows the flags byte. */
export const PUT_FLAG_EXPIRES = 0x01
/** PUT flags: the next storage nodes of a chain follow (after the expiry, if any). */
export const PUT_FLAG_CHAIN = 0x02
/** Most next nodes a chained PUT may name (a chain of 8 nodes with the one it is sent to). */
export const MAX_CHAIN_HOPS = 7
/** Longest peer id (multihash) in a chain: Ed25519 ids are 38 bytes, secp256k1 39, RSA (SHA-256) 34. */
export const MAX_PEER_ID_BYTES = 64

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

// --- encoding ------------------------------------------------------------------

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

// --- decoding ------------------------------------------------------------------

/**
 * The rest of a PUT request, after its type byte. `chain: false` reads the
 * CHAIN flag as an unknown bit (see decodeRequest).
 */
export function readPut (reader: FrameReader, options: { chain?: boolean } = {}): { type: MessageType.Put } & PutHeader {
  const known = PUT_FLAG_EXPIRES | (options.chain === false ? 0 : PUT_FLAG_CHAIN)
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
  const request: { type: MessageType.Put } & PutHeader = { type: MessageType.Put, count, bytes, leaseUntil, unit }
  if (expires !== undefined) request.expires = expires
  if (chain !== undefined) request.chain = chain
  if (!reader.atEnd()) {
    const length = reader.u8()
    if (length === 0 || length > MAX_TREE_HEIGHT) throw new ProtocolViolationError(`a unit's path has 1–${MAX_TREE_HEIGHT} nodes`)
    request.path = Array.from({ length }, () => reader.cid())
  }
  return request
}

export function readHops (reader: FrameReader): HopStatus[] {
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
