import { CID } from 'multiformats/cid'
import { base32 } from 'multiformats/bases/base32'
import { DAG_CBOR_CODE, SHA2_256_CODE } from '../format/portable.js'
import { FILE_KEY_LENGTH } from '../crypto/portable.js'
import { base64urlDecode, base64urlEncode } from './base64url.js'
import { KeyRequiredError, PasswordRequiredError } from '../errors.js'
import {
  LinkCidBaseError, LinkCidCodecError, LinkCidEncodingError, LinkCidHashError, LinkCidMissingError,
  LinkCidVersionError, LinkEmptyError, LinkExtraPartError, LinkGatewayHostError, LinkGatewayPathError,
  LinkKeyEmptyError, LinkKeyEncodingError, LinkKeyLengthError, LinkMagnetDuplicateError,
  LinkMagnetEncodingError, LinkMagnetSizeError, LinkMagnetTopicError, LinkMutableError, LinkNameKeyError, LinkPathEncodingError, LinkPathSegmentError,
  LinkSchemeError, LinkTooLongError, LinkWhitespaceError
} from './errors.js'
import { LIBP2P_KEY_CODE, publicKeyOfName } from './name-cid.js'
import { formatPasswordFragment, isPasswordFragment, parsePasswordFragment, type PasswordLock } from './password.js'

/** Version 1 of the link forms; a future form gets a new scheme or URN. */
export const LINK_SCHEME = 'veil://'
export const MAGNET_URN = 'urn:veil:'
/** Longest input accepted (a magnet with a long name fits easily). */
export const MAX_LINK_LENGTH = 4096

/** A full read capability: the share's root CID and its file key. */
export interface ShareLink {
  cid: CID
  key: Uint8Array
  /**
   * A path inside a folder share (`veil://<cid>/photos/a.jpg#<key>`), one
   * name per element; resolved through the folder listings, which only the
   * key opens. Absent or empty: the share itself.
   */
  path?: string[]
}

export interface ParseOptions {
  /**
   * Accept a path after the CID (the canonical and gateway forms). Default
   * false: a caller that would ignore the path must not be handed one.
   */
  allowPath?: boolean
  /**
   * Accept a mutable link (`veil://<libp2p-key CID>#<key>`, see
   * name-cid.ts): its CID names a key, not a share, so only a caller that
   * resolves it may take one. Default false (LinkMutableError).
   */
  allowName?: boolean
  /**
   * Accept a password-protected key (`#pw1.…`): the result then has `lock`
   * and no `key`. Default false (PasswordRequiredError).
   */
  allowPassword?: boolean
}

/** A verify-only capability: enough to check and repair, not to read. */
export interface VerifyCap {
  cid: CID
}

export type LinkForm = 'veil' | 'gateway' | 'magnet'

export interface ParsedLink {
  cid: CID
  /** Absent for a verify-only link. */
  key?: Uint8Array
  form: LinkForm
  /** Display name hint from a magnet link (`dn`); untrusted. */
  name?: string
  /** Size hint from a magnet link (`xl`); untrusted. */
  size?: number
  /** A path inside the share (only with `allowPath`); absent when the link has none. */
  path?: string[]
  /** The key wrapped under a password (only with `allowPassword`); `key` is then absent. */
  lock?: PasswordLock
}

const BASE64URL = /^[A-Za-z0-9_-]+$/
const WHITESPACE = /\s/

/** `veil://<cid>#<key>`, or `veil://<cid>/<path>#<key>`: the canonical form. */
export function formatLink (link: ShareLink): string {
  return `${LINK_SCHEME}${link.cid.toString(base32)}${formatPath(link.path)}#${encodeKey(link.key)}`
}

/** `/a/b%20c` for ['a', 'b c']: each name percent-encoded (RFC 3986), "" for no path. */
export function formatPath (path: string[] | undefined): string {
  return (path ?? []).map(name => '/' + encodeURIComponent(name)).join('')
}

/** `veil://<cid>`: the verify-only form (no fragment, so no key). */
export function formatVerifyLink (cap: VerifyCap): string {
  return `${LINK_SCHEME}${cap.cid.toString(base32)}`
}

/** `https://<host>/v/<cid>#<key>`: the fragment never reaches the gateway. */
export function formatGatewayLink (link: ShareLink, origin: string): string {
  return `${origin.replace(/\/+$/, '')}/v/${link.cid.toString(base32)}${formatPath(link.path)}#${encodeKey(link.key)}`
}

/** `veil://<cid>#pw1.…`: a link whose key is wrapped under a password. */
export function formatLockedLink (link: { cid: CID, path?: string[] }, lock: PasswordLock): string {
  return `${LINK_SCHEME}${link.cid.toString(base32)}${formatPath(link.path)}#${formatPasswordFragment(lock)}`
}

/** `https://<host>/v/<cid>#pw1.…`: the gateway form of a password-protected link. */
export function formatLockedGatewayLink (link: { cid: CID, path?: string[] }, lock: PasswordLock, origin: string): string {
  return `${origin.replace(/\/+$/, '')}/v/${link.cid.toString(base32)}${formatPath(link.path)}#${formatPasswordFragment(lock)}`
}

/** `magnet:?xt=urn:veil:<cid>&dn=<name>&xl=<size>#<key>`. */
export function formatMagnetLink (link: ShareLink, hints: { name?: string, size?: number } = {}): string {
  let out = `magnet:?xt=${MAGNET_URN}${link.cid.toString(base32)}`
  if (hints.name !== undefined) out += `&dn=${encodeURIComponent(hints.name)}`
  if (hints.size !== undefined) out += `&xl=${hints.size}`
  return `${out}#${encodeKey(link.key)}`
}

export function encodeKey (key: Uint8Array): string {
  return base64urlEncode(key)
}

/**
 * Parse any accepted link form. A link without a fragment parses as a
 * verify-only capability (`key` absent); use `parseShareLink` where a key is
 * required. Every defect throws its own `InvalidLinkError` subclass.
 */
export function parseLink (input: string, options: ParseOptions = {}): ParsedLink {
  const text = typeof input === 'string' ? input.trim() : ''
  if (text.length === 0) throw new LinkEmptyError()
  if (text.length > MAX_LINK_LENGTH) throw new LinkTooLongError(MAX_LINK_LENGTH)
  if (WHITESPACE.test(text)) throw new LinkWhitespaceError()

  const hash = text.indexOf('#')
  const body = hash === -1 ? text : text.slice(0, hash)
  const fragment = hash === -1 ? undefined : text.slice(hash + 1)
  const lower = body.toLowerCase()

  let parsed: Omit<ParsedLink, 'key'>
  if (lower.startsWith(LINK_SCHEME)) {
    parsed = { ...parseCanonicalBody(body.slice(LINK_SCHEME.length), options), form: 'veil' }
  } else if (lower.startsWith('magnet:')) {
    parsed = parseMagnetBody(body.slice('magnet:'.length), options)
  } else if (lower.startsWith('http://') || lower.startsWith('https://')) {
    parsed = { ...parseGatewayBody(body, options), form: 'gateway' }
  } else {
    const colon = body.indexOf(':')
    throw new LinkSchemeError(colon > 0 ? body.slice(0, Math.min(colon, 16)) : '(none)')
  }

  if (fragment !== undefined && isPasswordFragment(fragment)) {
    const lock = parsePasswordFragment(fragment)
    if (options.allowPassword !== true) throw new PasswordRequiredError()
    return { ...parsed, lock }
  }
  const key = fragment === undefined ? undefined : decodeKey(fragment)
  return key === undefined ? parsed : { ...parsed, key }
}

/** Parse a link that must carry its key (fetching, listing). */
export function parseShareLink (input: string, options: ParseOptions = {}): ShareLink & ParsedLink {
  const parsed = parseLink(input, options)
  if (parsed.key === undefined) throw new KeyRequiredError()
  return { ...parsed, key: parsed.key }
}

function parseCanonicalBody (rest: string, options: ParseOptions): { cid: CID, path?: string[] } {
  const query = rest.indexOf('?')
  if (query !== -1) throw new LinkExtraPartError('query ("?…")')
  const slash = rest.indexOf('/')
  if (slash === -1) return { cid: parseCid(rest, options) }
  if (slash === 0) throw new LinkCidMissingError()
  const cid = parseCid(rest.slice(0, slash), options)
  return withPath(cid, rest.slice(slash), options)
}

/** `/a/b%20c/` → ['a', 'b c']; a trailing slash is allowed, an empty name, "." or ".." is not. */
function withPath (cid: CID, text: string, options: ParseOptions): { cid: CID, path?: string[] } {
  const names = text.slice(1).split('/')
  if (names.at(-1) === '') names.pop()
  if (names.length === 0) return { cid }
  if (options.allowPath !== true) throw new LinkExtraPartError('path ("/…")')
  const path = names.map((raw, i) => {
    let name: string
    try {
      name = decodeURIComponent(raw)
    } catch {
      throw new LinkPathEncodingError(i + 1)
    }
    if (name === '') throw new LinkPathSegmentError(i + 1, 'is empty (two slashes in a row)')
    if (name === '.' || name === '..') throw new LinkPathSegmentError(i + 1, `is "${name}", which a share path cannot hold`)
    if (/[/\\\u0000]/.test(name)) throw new LinkPathSegmentError(i + 1, 'holds an encoded slash, backslash or NUL')
    return name
  })
  return { cid, path }
}

function parseGatewayBody (body: string, options: ParseOptions): { cid: CID, path?: string[] } {
  // WHATWG URL parsing would read "https:///v/x" as host "v": check the authority first.
  if (!/^https?:\/\/[^/?#]/i.test(body)) throw new LinkGatewayHostError()
  let url: URL
  try {
    url = new URL(body)
  } catch {
    throw new LinkGatewayHostError()
  }
  if (url.hostname === '') throw new LinkGatewayHostError()
  // Gateways may add query hints (?filename=…); the path alone names the share.
  const match = /^\/v\/([^/]*)(\/.*)?$/.exec(url.pathname)
  if (match === null) throw new LinkGatewayPathError()
  const cid = parseCid(match[1] ?? '', options)
  // The URL parser already resolved "." and ".." away; read the path as it was written.
  const written = /^[^:]+:\/\/[^/?#]*\/v\/[^/?#]*(\/[^?#]*)?/.exec(body)?.[1]
  return written === undefined ? { cid } : withPath(cid, written, options)
}

function parseMagnetBody (rest: string, options: ParseOptions): Omit<ParsedLink, 'key'> {
  if (!rest.startsWith('?')) throw new LinkMagnetTopicError()
  const params = new Map<string, string>()
  for (const pair of rest.slice(1).split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const name = (eq === -1 ? pair : pair.slice(0, eq)).toLowerCase()
    let value: string
    try {
      value = decodeURIComponent((eq === -1 ? '' : pair.slice(eq + 1)).replace(/\+/g, ' '))
    } catch {
      throw new LinkMagnetEncodingError()
    }
    if (params.has(name)) throw new LinkMagnetDuplicateError(name)
    params.set(name, value)
  }
  const topic = params.get('xt')
  if (topic === undefined || !topic.toLowerCase().startsWith(MAGNET_URN)) throw new LinkMagnetTopicError()
  const result: Omit<ParsedLink, 'key'> = { cid: parseCid(topic.slice(MAGNET_URN.length), options), form: 'magnet' }
  const name = params.get('dn')
  if (name !== undefined && name !== '') result.name = name
  const size = params.get('xl')
  if (size !== undefined) {
    if (!/^[0-9]{1,16}$/.test(size) || !Number.isSafeInteger(Number(size))) throw new LinkMagnetSizeError()
    result.size = Number(size)
  }
  return result
}

function parseCid (text: string, options: ParseOptions): CID {
  if (text.length === 0) throw new LinkCidMissingError()
  if (text.startsWith('Qm') && text.length === 46) throw new LinkCidVersionError()
  if (text[0] !== 'b') throw new LinkCidBaseError()
  let cid: CID
  try {
    cid = CID.parse(text, base32)
  } catch {
    throw new LinkCidEncodingError()
  }
  if (cid.version !== 1) throw new LinkCidVersionError()
  if (cid.code === LIBP2P_KEY_CODE) {
    // A mutable link: the CID is the publisher's public key (name-cid.ts).
    if (publicKeyOfName(cid) === undefined) throw new LinkNameKeyError()
    if (options.allowName !== true) throw new LinkMutableError()
    return cid
  }
  if (cid.code !== DAG_CBOR_CODE) throw new LinkCidCodecError()
  if (cid.multihash.code !== SHA2_256_CODE || cid.multihash.size !== 32) throw new LinkCidHashError()
  return cid
}

function decodeKey (fragment: string): Uint8Array {
  if (fragment.length === 0) throw new LinkKeyEmptyError()
  if (!BASE64URL.test(fragment)) throw new LinkKeyEncodingError()
  const bytes = base64urlDecode(fragment)
  if (bytes.length !== FILE_KEY_LENGTH) throw new LinkKeyLengthError(bytes.length, FILE_KEY_LENGTH)
  // Reject non-canonical encodings (stray low bits in the last character), so
  // one key has exactly one spelling.
  if (base64urlEncode(bytes) !== fragment) throw new LinkKeyEncodingError()
  return bytes
}
