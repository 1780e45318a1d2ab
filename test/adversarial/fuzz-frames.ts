import * as varint from 'uint8-varint'
import { CID } from 'multiformats/cid'
import { MessageType } from '../../src/protocol/codec.js'
import { blockHeader, encodeProve, encodeWant } from '../../src/protocol/messages.js'
import { encodePut } from '../../src/protocol/put-messages.js'
import { rawCid } from '../../src/format/cid.js'

/** mulberry32: a small seeded PRNG, so a failing case can be replayed. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface FuzzCase {
  /** What kind of damage, for the report. */
  kind: string
  /** Bytes to write on the stream, in order (each already length-prefixed or not, as the case wants). */
  chunks: Uint8Array[]
  /** Half-close after writing (an honest client does; some cases do not). */
  close: boolean
  /** Frames in `chunks` (raw-bytes cases count as one). */
  frames: number
}

function lp (body: Uint8Array): Uint8Array {
  return Uint8Array.from([...varint.encode(body.length), ...body])
}

/**
 * Frames for the block exchange, damaged in every way a frame can be: valid
 * requests, bit flips, truncations, wrong types, random bodies, lying length
 * prefixes, extra frames, pushes whose bytes do not match their CID, pushes
 * that do (a storage node must stay within its quota).
 */
export function fuzzCases (seed: number, count: number): FuzzCase[] {
  const random = prng(seed)
  const int = (n: number): number => Math.floor(random() * n)
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256))
  const cid = (): CID => rawCid(bytes(1 + int(64)))
  const cids = (): CID[] => Array.from({ length: 1 + int(8) }, cid)
  /** A PUT header for `n` pushes of up to 4 KiB (sometimes with a path of random CIDs). */
  const putHeader = (n: number): Uint8Array => encodePut({ unit: cid(), count: n, bytes: n * 4_200, leaseUntil: int(2) * Date.now(), path: random() < 0.3 ? cids().slice(0, 6) : undefined })
  const valid = (): Uint8Array => {
    switch (int(3)) {
      case 0: return encodeWant(cids())
      case 1: return encodeProve(bytes(32), cids())
      default: return putHeader(1 + int(4))
    }
  }
  const push = (honest: boolean): Uint8Array => {
    const data = bytes(1 + int(4096))
    const head = blockHeader(MessageType.Push, honest ? rawCid(data) : cid())
    return Uint8Array.from([...head, ...data])
  }
  const cases: FuzzCase[] = []
  for (let i = 0; i < count; i++) {
    const pick = int(10)
    if (pick === 0) {
      cases.push({ kind: 'valid request', chunks: [lp(valid())], close: true, frames: 1 })
    } else if (pick === 1) {
      const frame = valid()
      for (let flips = 1 + int(4); flips > 0; flips--) frame[int(frame.length)]! ^= 1 << int(8)
      cases.push({ kind: 'bit flips', chunks: [lp(frame)], close: true, frames: 1 })
    } else if (pick === 2) {
      const frame = lp(valid())
      cases.push({ kind: 'truncated', chunks: [frame.subarray(0, int(frame.length))], close: random() < 0.7, frames: 1 })
    } else if (pick === 3) {
      cases.push({ kind: 'random type and body', chunks: [lp(Uint8Array.from([int(256), ...bytes(int(300))]))], close: true, frames: 1 })
    } else if (pick === 4) {
      // A prefix that says more (or less) than follows.
      const body = bytes(int(200))
      cases.push({ kind: 'lying prefix', chunks: [Uint8Array.from([...varint.encode(int(20_000)), ...body])], close: true, frames: 1 })
    } else if (pick === 5) {
      cases.push({ kind: 'request then extra frames', chunks: [lp(encodeWant(cids())), lp(bytes(int(100))), lp(bytes(int(100)))], close: random() < 0.5, frames: 3 })
    } else if (pick === 6) {
      const n = 1 + int(8)
      cases.push({ kind: 'put with lying pushes', chunks: [lp(putHeader(n)), ...Array.from({ length: n }, () => lp(push(random() < 0.3)))], close: true, frames: 1 + n })
    } else if (pick === 7) {
      const n = 1 + int(8)
      cases.push({ kind: 'put with honest pushes', chunks: [lp(putHeader(n)), ...Array.from({ length: n }, () => lp(push(true)))], close: true, frames: 1 + n })
    } else if (pick === 8) {
      const n = 2 + int(30)
      const sent = 1 + int(n - 1)
      cases.push({ kind: 'put with fewer pushes than announced', chunks: [lp(putHeader(n)), ...Array.from({ length: sent }, () => lp(push(true)))], close: true, frames: 1 + sent })
    } else {
      cases.push({ kind: 'raw random bytes', chunks: [bytes(1 + int(512))], close: random() < 0.5, frames: 1 })
    }
  }
  return cases
}
