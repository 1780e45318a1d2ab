import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { InvalidManifestError } from '../errors.js'
import { isSupportedCid, RAW_CODE, DAG_CBOR_CODE } from './cid-check.js'

/**
 * Strict field readers for decoded dag-cbor maps. Every manifest decoder
 * checks the encoded size first, then the exact key set and each field's type
 * and bounds, so a hostile manifest is rejected before it drives any
 * allocation or loop.
 */

export type CborMap = Record<string, unknown>

const utf8 = new TextEncoder()

/** Bytes of `text` in UTF-8 (Buffer.byteLength without Node: this file also runs in the gateway page). */
export function utf8Length (text: string): number {
  return utf8.encode(text).length
}

export function decodeCborMap (bytes: Uint8Array, maxSize: number, what: string): CborMap {
  if (bytes.length > maxSize) {
    throw new InvalidManifestError(`${what} is ${bytes.length} bytes, over the ${maxSize}-byte limit`)
  }
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new InvalidManifestError(`${what} is not valid dag-cbor`, { cause: err })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array || value instanceof CID) {
    throw new InvalidManifestError(`${what} is not a map`)
  }
  return value as CborMap
}

export function expectKeys (map: CborMap, keys: readonly string[], what: string): void {
  const present = Object.keys(map)
  if (present.length !== keys.length || !keys.every(k => Object.hasOwn(map, k))) {
    throw new InvalidManifestError(`${what} has fields [${present.sort().join(', ')}], expected [${[...keys].sort().join(', ')}]`)
  }
}

export function readInt (map: CborMap, key: string, min: number, max: number, what: string): number {
  const value = map[key]
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidManifestError(`${what}: field "${key}" must be an integer in [${min}, ${max}]`)
  }
  return value
}

export function readString (map: CborMap, key: string, maxBytes: number, what: string): string {
  const value = map[key]
  if (typeof value !== 'string' || utf8Length(value) > maxBytes) {
    throw new InvalidManifestError(`${what}: field "${key}" must be a string of at most ${maxBytes} bytes`)
  }
  return value
}

export function readLiteral<T extends string> (map: CborMap, key: string, allowed: readonly T[], what: string): T {
  const value = map[key]
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidManifestError(`${what}: field "${key}" must be one of ${allowed.join(', ')}`)
  }
  return value as T
}

export function readBytes (map: CborMap, key: string, minLength: number, maxLength: number, what: string): Uint8Array {
  const value = map[key]
  if (!(value instanceof Uint8Array) || value.length < minLength || value.length > maxLength) {
    throw new InvalidManifestError(`${what}: field "${key}" must be ${minLength === maxLength ? `${minLength}` : `${minLength}–${maxLength}`} bytes`)
  }
  return value
}

export type CidKind = 'block' | 'node'

/** A CID that must name a content block (raw) or a manifest node (dag-cbor). */
export function checkCid (value: unknown, kind: CidKind, what: string): CID {
  const cid = CID.asCID(value)
  if (cid === null || !isSupportedCid(cid) || cid.code !== (kind === 'block' ? RAW_CODE : DAG_CBOR_CODE)) {
    throw new InvalidManifestError(`${what}: expected a CIDv1 sha2-256 ${kind === 'block' ? 'raw block' : 'dag-cbor node'} link`)
  }
  return cid
}

export function readCidList (map: CborMap, key: string, kind: CidKind, maxCount: number, what: string): CID[] {
  const value = map[key]
  if (!Array.isArray(value) || value.length === 0 || value.length > maxCount) {
    throw new InvalidManifestError(`${what}: field "${key}" must list 1–${maxCount} links`)
  }
  return value.map(item => checkCid(item, kind, what))
}
