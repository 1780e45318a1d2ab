import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import { constantTimeEqual, sha256Async, verifyEd25519Async } from '../crypto/portable.js'
import { publicKeyOfName } from '../link/index.js'
import { InvalidNameRecordError } from '../errors.js'
import {
  MAX_NAME_RECORD_SIZE, MAX_NAME_VALIDITY_MS, MAX_SEALED_VALUE_SIZE, NAME_CLOCK_SKEW_MS, NAME_NAMESPACE, NAME_RECORD_VERSION
} from './constants.js'

/*
 * A mutable link's record (version 1), as the DHT stores it under
 * `/veil/` ‖ SHA-256("veil/v1/name-dht-key" ‖ public key):
 *
 *   dag-cbor { v: 1, pk: Ed25519 public key (32), seq: sequence, t: signed at (ms),
 *              exp: valid until (ms), val: sealed value (nonce ‖ AES-256-GCM), sig: 64 bytes }
 *
 * sig = Ed25519(secret key, "veil/v1/name-record" ‖ dag-cbor of every other field).
 * Everything here checks without the link's read key (DHT and storage nodes
 * verify records they cannot read); value.ts opens `val` with it. Portable:
 * WebCrypto and pure code, the same in Node and in the gateway page.
 */

export interface NameRecordFields {
  publicKey: Uint8Array
  sequence: number
  signedAt: number
  validUntil: number
  sealedValue: Uint8Array
}

export interface NameRecord extends NameRecordFields {
  signature: Uint8Array
  /** The record's exact bytes. */
  bytes: Uint8Array
}

const utf8 = new TextEncoder()
const SIGN_LABEL = utf8.encode('veil/v1/name-record')
const DHT_KEY_LABEL = utf8.encode('veil/v1/name-dht-key')
const DHT_PREFIX = utf8.encode(`/${NAME_NAMESPACE}/`)
const RECORD_KEYS = ['exp', 'pk', 'seq', 'sig', 't', 'v', 'val']

/** The kad-dht key a name's records live under: `/veil/` ‖ SHA-256(label ‖ public key). Not the key itself. */
export async function nameDhtKey (publicKey: Uint8Array): Promise<Uint8Array> {
  const digest = await sha256Async(concat(DHT_KEY_LABEL, publicKey))
  return concat(DHT_PREFIX, digest)
}

/** Length of a name's DHT key. */
export const NAME_DHT_KEY_LENGTH = DHT_PREFIX.length + 32

function unsignedMap (fields: NameRecordFields): Record<string, unknown> {
  return { v: NAME_RECORD_VERSION, pk: fields.publicKey, seq: fields.sequence, t: fields.signedAt, exp: fields.validUntil, val: fields.sealedValue }
}

/** What the signature covers: the label, then the dag-cbor of every field but `sig`. */
export function signedBytes (fields: NameRecordFields): Uint8Array {
  return concat(SIGN_LABEL, dagCbor.encode(unsignedMap(fields)))
}

/** The record's bytes, once signed. */
export function encodeNameRecord (fields: NameRecordFields, signature: Uint8Array): Uint8Array {
  if (signature.length !== 64) throw new RangeError('an Ed25519 signature is 64 bytes')
  const bytes = dagCbor.encode({ ...unsignedMap(fields), sig: signature })
  if (bytes.length > MAX_NAME_RECORD_SIZE) throw new RangeError(`a name record is at most ${MAX_NAME_RECORD_SIZE} bytes`)
  return bytes
}

/** The record's structure (size, fields, canonical encoding), no signature or time checked yet. */
export function decodeNameRecord (bytes: Uint8Array): NameRecord {
  if (bytes.length > MAX_NAME_RECORD_SIZE) throw bad(`it is ${bytes.length} bytes, over the ${MAX_NAME_RECORD_SIZE}-byte limit`)
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw bad('it is not dag-cbor', err)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) throw bad('it is not a map')
  const map = value as Record<string, unknown>
  if (map.v !== NAME_RECORD_VERSION) throw bad(typeof map.v === 'number' ? `it is version ${map.v} (this Veil reads version ${NAME_RECORD_VERSION}: upgrade)` : 'it has no version')
  const keys = Object.keys(map).sort()
  if (keys.length !== RECORD_KEYS.length || keys.some((key, i) => key !== RECORD_KEYS[i])) throw bad(`it has fields [${keys.join(', ')}]`)
  const record: NameRecord = {
    publicKey: bytesField(map, 'pk', 32, 32),
    sequence: intField(map, 'seq'),
    signedAt: intField(map, 't'),
    validUntil: intField(map, 'exp'),
    sealedValue: bytesField(map, 'val', 1, MAX_SEALED_VALUE_SIZE),
    signature: bytesField(map, 'sig', 64, 64),
    bytes
  }
  // One record, one spelling: a re-encoding must give the same bytes.
  if (!constantTimeEqual(dagCbor.encode(map), bytes)) throw bad('it is not canonical dag-cbor')
  return record
}

export interface VerifyNameOptions {
  /** The time to check validity at (ms). Default now. */
  now?: number
  /** The DHT key it was stored under: must be the record's own. */
  dhtKey?: Uint8Array
  /** The link's name CID: its public key must be the record's. */
  name?: CID
}

/**
 * Decode and check a record as any DHT node or reader does, without the
 * read key: structure, size, that it belongs to the key it was found under
 * (and the link's name), that it is valid now (not expired, not signed in
 * the future, no longer than 7 days), and its Ed25519 signature.
 */
export async function verifyNameRecord (bytes: Uint8Array, options: VerifyNameOptions = {}): Promise<NameRecord> {
  const record = decodeNameRecord(bytes)
  const now = options.now ?? Date.now()
  if (options.name !== undefined) {
    const expected = publicKeyOfName(options.name)
    if (expected === undefined || !constantTimeEqual(expected, record.publicKey)) throw bad('it belongs to another link')
  }
  if (options.dhtKey !== undefined && !constantTimeEqual(await nameDhtKey(record.publicKey), options.dhtKey)) throw bad('it is stored under another name\'s key')
  if (record.signedAt > now + NAME_CLOCK_SKEW_MS) throw bad(`it says it was signed in the future (${new Date(record.signedAt).toISOString()})`)
  if (record.validUntil <= now) throw bad(`it expired on ${new Date(record.validUntil).toISOString()}`)
  if (record.validUntil - record.signedAt > MAX_NAME_VALIDITY_MS) throw bad('it claims a validity longer than 7 days')
  if (!await verifyEd25519Async(record.publicKey, record.signature, signedBytes(record))) throw bad('its signature does not verify (forged or altered)')
  return record
}

/**
 * Which of two records of one name is newer: the higher sequence; for the
 * same sequence the later validity (a re-signed record); then the bytes, so
 * every node picks the same one. Positive when `a` is newer.
 */
export function compareNameRecords (a: Pick<NameRecord, 'sequence' | 'validUntil' | 'bytes'>, b: Pick<NameRecord, 'sequence' | 'validUntil' | 'bytes'>): number {
  if (a.sequence !== b.sequence) return a.sequence - b.sequence
  if (a.validUntil !== b.validUntil) return a.validUntil - b.validUntil
  const length = Math.min(a.bytes.length, b.bytes.length)
  for (let i = 0; i < length; i++) if (a.bytes[i] !== b.bytes[i]) return a.bytes[i]! - b.bytes[i]!
  return a.bytes.length - b.bytes.length
}

function bad (reason: string, cause?: unknown): InvalidNameRecordError {
  return new InvalidNameRecordError(`the link's record is invalid: ${reason}`, cause === undefined ? undefined : { cause })
}

function intField (map: Record<string, unknown>, key: string): number {
  const value = map[key]
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw bad(`field "${key}" must be a whole number`)
  return value
}

function bytesField (map: Record<string, unknown>, key: string, min: number, max: number): Uint8Array {
  const value = map[key]
  if (!(value instanceof Uint8Array) || value.length < min || value.length > max) throw bad(`field "${key}" must be ${min === max ? min : `${min}–${max}`} bytes`)
  return value
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}
