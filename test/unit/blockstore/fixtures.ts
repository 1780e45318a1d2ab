import { randomBytes } from 'node:crypto'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { identity } from 'multiformats/hashes/identity'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import * as dagCbor from '@ipld/dag-cbor'
import { expect } from 'vitest'
import type { Block, BlockStore } from '../../../src/blockstore/index.js'
import { dagCborCid, rawCid } from '../../../src/format/cid.js'

export const KiB = 1024
export const MiB = 1024 * KiB

/** A raw block of `size` random bytes with its correct CID. */
export function rawBlock (size: number): Block {
  const bytes = new Uint8Array(randomBytes(size))
  return { cid: rawCid(bytes), bytes }
}

/** A dag-cbor block: a real encoded node when small, else arbitrary bytes under a dag-cbor CID. */
export function dagCborBlock (size: number): Block {
  const bytes = size === 0 ? new Uint8Array(0) : new Uint8Array(randomBytes(size))
  return { cid: dagCborCid(bytes), bytes }
}

export function encodedDagCborBlock (value: unknown): Block {
  const bytes = dagCbor.encode(value)
  return { cid: dagCborCid(bytes), bytes }
}

/** The same bytes with one bit flipped (or one byte added when empty): same CID, wrong content. */
export function damaged (bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength === 0) return Uint8Array.of(0)
  const copy = new Uint8Array(bytes)
  copy[copy.byteLength >> 1]! ^= 0x01
  return copy
}

/** CIDs of `bytes` that Veil cannot verify, each with the reason. */
export async function unsupportedCids (bytes: Uint8Array): Promise<Array<[string, CID]>> {
  return [
    ['sha2-512', CID.createV1(raw.code, await sha512.digest(bytes))],
    ['identity', CID.createV1(raw.code, identity.digest(bytes))],
    ['CIDv0', CID.createV0(await sha256.digest(bytes))]
  ]
}

export async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of source) all.push(item)
  return all
}

/** Assert a rejection by the error's `name`, as callers check it. */
export async function expectRejectsNamed (promise: Promise<unknown>, name: string): Promise<Error> {
  let caught: unknown
  await promise.then(() => { caught = undefined }, (err: unknown) => { caught = err })
  expect(caught, `expected a ${name}`).toBeInstanceOf(Error)
  expect((caught as Error).name).toBe(name)
  return caught as Error
}

export async function expectEmpty (store: BlockStore): Promise<void> {
  expect(await store.size()).toEqual({ blocks: 0, bytes: 0 })
  expect(await collect(store.cids())).toEqual([])
}

/**
 * Byte-for-byte equality. (`toEqual` walks a typed array element by element and
 * takes seconds per MiB; this compares natively and reports the first difference.)
 */
export function expectSameBytes (actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.byteLength, 'byte length').toBe(expected.byteLength)
  const same = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength)
    .equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))
  if (!same) {
    const at = actual.findIndex((byte, i) => byte !== expected[i])
    expect.fail(`bytes differ, first at offset ${at}`)
  }
}
