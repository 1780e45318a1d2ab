import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { FILE_KEY_LENGTH, NONCE_LENGTH, deriveKeyAsync, importAesKey, openAsync, sealAsync } from '../crypto/portable.js'
import { DAG_CBOR_CODE, isSupportedCid } from '../format/portable.js'
import { InvalidNameRecordError } from '../errors.js'

/*
 * What a mutable link points to — the share's root CID and its key — sealed
 * in the record so that no DHT node, storage node or observer learns it:
 *
 *   val = nonce (12) ‖ AES-256-GCM(value key, nonce, dag-cbor { v: 1, c: root CID, k: share key },
 *                                   AAD = "veil/v1/name-value" ‖ public key)
 *   value key = HKDF-SHA256(the link's read key, salt "veil/v1/hkdf", info "veil/v1/name-value-key")
 *
 * The read key is the 32 random bytes after "#" in the link: not the
 * signing key, which never leaves the publisher's repo. Portable.
 */

export interface NameValue {
  /** The share the link points to now. */
  root: CID
  /** Its file key. */
  key: Uint8Array
}

const utf8 = new TextEncoder()
const VALUE_KEY_INFO = utf8.encode('veil/v1/name-value-key')
const VALUE_AAD = utf8.encode('veil/v1/name-value')

function aad (publicKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(VALUE_AAD.length + publicKey.length)
  out.set(VALUE_AAD)
  out.set(publicKey, VALUE_AAD.length)
  return out
}

/** Seal a value for a record of `publicKey` (a fresh random nonce unless one is given, for test vectors). */
export async function sealNameValue (readKey: Uint8Array, publicKey: Uint8Array, value: NameValue, nonce?: Uint8Array): Promise<Uint8Array> {
  if (readKey.length !== FILE_KEY_LENGTH) throw new RangeError(`a read key is ${FILE_KEY_LENGTH} bytes`)
  if (value.key.length !== FILE_KEY_LENGTH) throw new RangeError(`a share key is ${FILE_KEY_LENGTH} bytes`)
  const iv = nonce ?? globalThis.crypto.getRandomValues(new Uint8Array(NONCE_LENGTH))
  const key = await importAesKey(await deriveKeyAsync(readKey, VALUE_KEY_INFO))
  const sealed = await sealAsync(key, iv, dagCbor.encode({ v: 1, c: value.root, k: value.key }), aad(publicKey))
  const out = new Uint8Array(NONCE_LENGTH + sealed.length)
  out.set(iv)
  out.set(sealed, NONCE_LENGTH)
  return out
}

/** Open a record's value with the link's read key; InvalidNameRecordError when the key does not open it. */
export async function openNameValue (readKey: Uint8Array, publicKey: Uint8Array, sealed: Uint8Array): Promise<NameValue> {
  if (sealed.length <= NONCE_LENGTH) throw bad('its value is too short')
  const key = await importAesKey(await deriveKeyAsync(readKey, VALUE_KEY_INFO))
  const plain = await openAsync(key, sealed.subarray(0, NONCE_LENGTH), sealed.subarray(NONCE_LENGTH), aad(publicKey))
  if (plain === undefined) throw new InvalidNameRecordError('the key in this link does not open its record: check that the whole link was copied, including everything after "#"')
  let map: Record<string, unknown>
  try {
    map = dagCbor.decode(plain)
  } catch (err) {
    throw bad('its value is not dag-cbor', err)
  }
  if (map === null || typeof map !== 'object' || Object.keys(map).sort().join() !== 'c,k,v' || map.v !== 1) throw bad('its value has the wrong fields')
  const root = CID.asCID(map.c)
  if (root === null || !isSupportedCid(root) || root.code !== DAG_CBOR_CODE) throw bad('its value does not name a share root')
  if (!(map.k instanceof Uint8Array) || map.k.length !== FILE_KEY_LENGTH) throw bad('its value holds no share key')
  return { root, key: map.k }
}

function bad (reason: string, cause?: unknown): InvalidNameRecordError {
  return new InvalidNameRecordError(`the link's record is invalid: ${reason}`, cause === undefined ? undefined : { cause })
}
