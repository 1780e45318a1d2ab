import { createHash } from 'node:crypto'
import { chmod, mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { FILE_KEY_LENGTH, generateFileKey } from '../crypto/index.js'
import { formatLink, nameCidFromPublicKey, base64urlDecode, base64urlEncode } from '../link/index.js'
import { KeyExistsError, KeyFileError, KeyNameError, KeyNotFoundError } from './errors.js'
import { generateSeed, publicKeyFromSeed, SEED_LENGTH } from './signing.js'

/*
 * The signing keys of mutable links, one file per name in the repo:
 *
 *   <repo>/keys/<name>   (mode 0600, folder 0700)
 *   dag-cbor { v: 1, sk: Ed25519 seed (32), rk: read key (32), seq: last sequence published (0: none),
 *              [root: CID of the share it points to, rec: the last signed record] }
 *
 * The read key is the link's "#<key>"; the signing key never leaves the repo
 * except through `veil keys export`, whose text is
 *
 *   veil-key:v1:<base64url(dag-cbor { n: name, sk, rk, seq } ‖ first 4 bytes of its SHA-256)>
 *
 * (a truncated or altered paste fails the checksum). Files are replaced
 * atomically (temp file, fsync, rename).
 */

export const KEYS_DIR = 'keys'
export const KEY_EXPORT_PREFIX = 'veil-key:v1:'
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** A mutable link's keys and what it last published. */
export interface NameKey {
  name: string
  seed: Uint8Array
  publicKey: Uint8Array
  /** The link's read key (its "#<key>"). */
  readKey: Uint8Array
  /** Last sequence number published (0: never). */
  sequence: number
  root?: CID
  /** The last record signed, as published. */
  record?: Uint8Array
}

/** A key as `veil keys ls` shows it. */
export interface NameKeyInfo {
  name: string
  /** The mutable link, with its read key. */
  link: string
  /** veil://<name CID>: the link without its key. */
  nameCid: CID
  sequence: number
  root?: CID
}

export function checkKeyName (name: string): string {
  if (!NAME.test(name)) throw new KeyNameError(name)
  return name
}

export function nameLink (key: Pick<NameKey, 'publicKey' | 'readKey'>): string {
  return formatLink({ cid: nameCidFromPublicKey(key.publicKey), key: key.readKey })
}

export class KeyStore {
  readonly dir: string

  constructor (repo: string) {
    this.dir = join(repo, KEYS_DIR)
  }

  async list (): Promise<NameKeyInfo[]> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return []
      throw new KeyFileError(`cannot read ${this.dir}: ${err.message}`, { cause: err })
    })
    const out: NameKeyInfo[] = []
    for (const name of names.filter(n => NAME.test(n)).sort()) {
      const key = await this.get(name)
      if (key === undefined) continue
      out.push({ name, link: nameLink(key), nameCid: nameCidFromPublicKey(key.publicKey), sequence: key.sequence, root: key.root })
    }
    return out
  }

  async get (name: string): Promise<NameKey | undefined> {
    const path = join(this.dir, checkKeyName(name))
    const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined
      throw new KeyFileError(`cannot read the key file ${path}: ${err.message}`, { cause: err })
    })
    return bytes === undefined ? undefined : decodeKeyFile(name, new Uint8Array(bytes), path)
  }

  async require (name: string): Promise<NameKey> {
    const key = await this.get(name)
    if (key === undefined) throw new KeyNotFoundError(name)
    return key
  }

  /** The key of `name`, made (new signing key, new read key) when there is none. */
  async getOrCreate (name: string): Promise<{ key: NameKey, created: boolean }> {
    const existing = await this.get(name)
    if (existing !== undefined) return { key: existing, created: false }
    const seed = generateSeed()
    const key: NameKey = { name, seed, publicKey: publicKeyFromSeed(seed), readKey: generateFileKey(), sequence: 0 }
    await this.save(key, { exclusive: true })
    return { key, created: true }
  }

  /** Write a key file (atomically); `exclusive` fails with KeyExistsError when one exists. */
  async save (key: NameKey, options: { exclusive?: boolean } = {}): Promise<void> {
    checkKeyName(key.name)
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    await chmod(this.dir, 0o700).catch(() => {})
    const path = join(this.dir, key.name)
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`
    const handle = await open(tmp, 'wx', 0o600)
    try {
      await handle.writeFile(encodeKeyFile(key))
      await handle.sync()
    } finally {
      await handle.close()
    }
    try {
      if (options.exclusive === true && await this.get(key.name) !== undefined) throw new KeyExistsError(key.name)
      await rename(tmp, path)
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
  }

  /** The key as one line of text, to move to another machine (it holds the secret key: keep it private). */
  async export (name: string): Promise<string> {
    const key = await this.require(name)
    const body = dagCbor.encode({ n: key.name, sk: key.seed, rk: key.readKey, seq: key.sequence })
    return KEY_EXPORT_PREFIX + base64urlEncode(concat(body, checksum(body)))
  }

  /** Add an exported key (under its own name, or `as`); KeyExistsError unless `force`. */
  async import (text: string, options: { as?: string, force?: boolean } = {}): Promise<NameKey> {
    const parsed = parseExport(text)
    const key: NameKey = { ...parsed, name: checkKeyName(options.as ?? parsed.name) }
    const existing = await this.get(key.name)
    if (existing !== undefined && options.force !== true) throw new KeyExistsError(key.name)
    // The same key imported again keeps what this repo knows of it (a later sequence).
    if (existing !== undefined && Buffer.from(existing.seed).equals(Buffer.from(key.seed))) key.sequence = Math.max(key.sequence, existing.sequence)
    await this.save(key)
    return key
  }
}

export function parseExport (input: string): NameKey {
  const text = input.trim()
  if (!text.startsWith(KEY_EXPORT_PREFIX)) throw new KeyFileError(`this is not an exported Veil key: it starts with ${KEY_EXPORT_PREFIX}… (made by \`veil keys export\`)`)
  const payload = text.slice(KEY_EXPORT_PREFIX.length)
  const bytes = /^[A-Za-z0-9_-]+$/.test(payload) ? base64urlDecode(payload) : new Uint8Array(0)
  if (bytes.length < 5 || base64urlEncode(bytes) !== payload) throw new KeyFileError('the exported key is damaged (not base64url): copy the whole line again')
  const body = bytes.subarray(0, bytes.length - 4)
  if (!Buffer.from(checksum(body)).equals(Buffer.from(bytes.subarray(bytes.length - 4)))) throw new KeyFileError('the exported key is damaged or cut short (its checksum does not match): copy the whole line again')
  let map: Record<string, unknown>
  try {
    map = dagCbor.decode(body)
  } catch (err) {
    throw new KeyFileError('the exported key is damaged', { cause: err })
  }
  const name = typeof map.n === 'string' ? map.n : ''
  const seed = map.sk
  const readKey = map.rk
  const sequence = map.seq
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_LENGTH || !(readKey instanceof Uint8Array) || readKey.length !== FILE_KEY_LENGTH ||
    typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0) {
    throw new KeyFileError('the exported key is damaged (wrong fields)')
  }
  return { name, seed, publicKey: publicKeyFromSeed(seed), readKey, sequence }
}

function encodeKeyFile (key: NameKey): Uint8Array {
  const map: Record<string, unknown> = { v: 1, sk: key.seed, rk: key.readKey, seq: key.sequence }
  if (key.root !== undefined) map.root = key.root
  if (key.record !== undefined) map.rec = key.record
  return dagCbor.encode(map)
}

function decodeKeyFile (name: string, bytes: Uint8Array, path: string): NameKey {
  const damaged = (): KeyFileError => new KeyFileError(`the key file ${path} is damaged: restore it from a backup or \`veil keys import\` its export; without it the link "${name}" can no longer be updated`)
  let map: Record<string, unknown>
  try {
    map = dagCbor.decode(bytes)
  } catch {
    throw damaged()
  }
  const { sk, rk, seq } = map
  if (map.v !== 1 || !(sk instanceof Uint8Array) || sk.length !== SEED_LENGTH || !(rk instanceof Uint8Array) || rk.length !== FILE_KEY_LENGTH ||
    typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw damaged()
  const root = map.root === undefined ? undefined : CID.asCID(map.root) ?? undefined
  const record = map.rec instanceof Uint8Array ? map.rec : undefined
  return { name, seed: sk, publicKey: publicKeyFromSeed(sk), readKey: rk, sequence: seq, root, record }
}

function checksum (bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest().subarray(0, 4))
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}
