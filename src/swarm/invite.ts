import * as dagCbor from '@ipld/dag-cbor'
import { InvalidParametersError } from '@libp2p/interface'
import { sha256 } from '../crypto/index.js'
import { decodeBootstrapAddress, parseBootstrapAddress } from './bootstrap-address.js'
import {
  InviteChecksumError, InviteEmptyError, InviteEncodingError, InviteMalformedError, InviteNameError,
  InviteNoBootstrapError, InvitePrefixError, InviteTooLongError, InviteTooManyAddressesError, InviteVersionError,
  InviteWhitespaceError
} from './errors.js'
import { SWARM_KEY_LENGTH, swarmId } from './protocols.js'

/*
 * An invite is one line: `veil-invite:v1:<base64url(payload ‖ checksum)>`.
 *
 * - payload: dag-cbor map { k: key (32 bytes), b: [binary multiaddr, …], n?: name }.
 *   dag-cbor because the project already speaks it and its encoding is
 *   canonical (sorted keys, shortest ints), so one invite has one spelling;
 *   multiaddrs in their binary form because that is about 40% shorter than
 *   the text form and decoding it re-validates every address.
 * - checksum: the first 4 bytes of SHA-256(payload), so a line cut short by a
 *   chat client or altered by hand fails with a clear error instead of
 *   joining no swarm at all (pnet would just fail every handshake).
 * - base64url: survives URLs, shells and chat without quoting; the version is
 *   outside the payload so a future v2 can change everything after it.
 *
 * The invite holds the swarm key, so it is as secret as the key file.
 */

export const INVITE_PREFIX = 'veil-invite:'
export const INVITE_VERSION = 'v1'
/** Longest invite accepted or produced, in characters. */
export const MAX_INVITE_LENGTH = 8192
export const MAX_INVITE_ADDRESSES = 32
/** Longest swarm name, in UTF-8 bytes. */
export const MAX_INVITE_NAME_BYTES = 100

const CHECKSUM_LENGTH = 4
const BASE64URL_CHAR = /[^A-Za-z0-9_-]/
const WHITESPACE = /\s/
const VERSION_SHOWN = /^[a-z0-9.]{1,16}$/
// Control characters and bidi overrides could spoof what a terminal shows.
const UNSAFE_NAME_CHAR = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u

export interface InviteInit {
  /** The swarm's 32-byte pre-shared key. */
  key: Uint8Array
  /** Multiaddrs of members to join through, each ending with /p2p/<peer id>. */
  bootstrap: string[]
  /** A label for people (e.g. "lab backups"); untrusted on input. */
  name?: string
}

export interface Invite extends InviteInit {
  /** The swarm id derived from the key. */
  id: string
}

/** Encode an invite line. Bootstrap addresses come back from parseInvite in canonical text form. */
export function formatInvite (init: InviteInit): string {
  if (!(init.key instanceof Uint8Array) || init.key.length !== SWARM_KEY_LENGTH) {
    throw new InvalidParametersError(`a swarm key is ${SWARM_KEY_LENGTH} bytes`)
  }
  checkAddressCount(init.bootstrap.length)
  const addresses = init.bootstrap.map((text, i) => parseBootstrapAddress(text, i).bytes)
  const body: Record<string, unknown> = { k: init.key, b: addresses }
  if (init.name !== undefined) body.n = checkName(init.name)

  const payload = dagCbor.encode(body)
  const sealed = Buffer.concat([payload, checksum(payload)])
  const text = `${INVITE_PREFIX}${INVITE_VERSION}:${sealed.toString('base64url')}`
  if (text.length > MAX_INVITE_LENGTH) throw new InviteTooLongError(text.length, MAX_INVITE_LENGTH)
  return text
}

/** Decode an invite line; every defect throws its own `InvalidInviteError` subclass. */
export function parseInvite (input: string): Invite {
  const text = typeof input === 'string' ? input.trim() : ''
  if (text.length === 0) throw new InviteEmptyError()
  if (text.length > MAX_INVITE_LENGTH) throw new InviteTooLongError(text.length, MAX_INVITE_LENGTH)
  // Prefix before whitespace: a pasted key file or share link deserves its own message.
  if (!text.toLowerCase().startsWith(INVITE_PREFIX)) throw new InvitePrefixError(prefixHint(text))
  if (WHITESPACE.test(text)) throw new InviteWhitespaceError()

  const rest = text.slice(INVITE_PREFIX.length)
  const colon = rest.indexOf(':')
  // "veil-invite:" or "veil-invite:v1" alone: the line was cut short.
  if (colon === -1) throw new InviteChecksumError()
  const version = rest.slice(0, colon).toLowerCase()
  if (version !== INVITE_VERSION) {
    throw new InviteVersionError(VERSION_SHOWN.test(version) ? `"${version}"` : '(unreadable)')
  }

  const encoded = rest.slice(colon + 1)
  const bad = BASE64URL_CHAR.exec(encoded)
  if (bad !== null) throw new InviteEncodingError(INVITE_PREFIX.length + colon + 1 + bad.index + 1)
  const bytes = decodeBase64url(encoded)
  if (bytes.length <= CHECKSUM_LENGTH) throw new InviteChecksumError()
  const payload = bytes.subarray(0, bytes.length - CHECKSUM_LENGTH)
  if (!checksum(payload).equals(bytes.subarray(bytes.length - CHECKSUM_LENGTH))) throw new InviteChecksumError()

  return decodePayload(payload)
}

function decodePayload (payload: Uint8Array): Invite {
  let body: unknown
  try {
    body = dagCbor.decode(payload)
  } catch {
    throw new InviteMalformedError('its content cannot be decoded')
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body) || body instanceof Uint8Array) {
    throw new InviteMalformedError('its content is not a map')
  }
  if (!Buffer.from(dagCbor.encode(body)).equals(payload)) throw new InviteMalformedError('its content is not canonically encoded')
  const map = body as Record<string, unknown>
  const fields = Object.keys(map)
  if (!fields.every(f => f === 'k' || f === 'b' || f === 'n') || !('k' in map) || !('b' in map)) {
    throw new InviteMalformedError(`it has fields [${fields.sort().join(', ')}], expected k, b and optionally n`)
  }

  const key = map.k
  if (!(key instanceof Uint8Array) || key.length !== SWARM_KEY_LENGTH) {
    throw new InviteMalformedError(`the swarm key is not ${SWARM_KEY_LENGTH} bytes`)
  }
  const list = map.b
  if (!Array.isArray(list)) throw new InviteMalformedError('the bootstrap list is not a list')
  checkAddressCount(list.length)
  const bootstrap = list.map((entry: unknown, i) => {
    if (!(entry instanceof Uint8Array)) throw new InviteMalformedError(`bootstrap address ${i + 1} is not binary`)
    return decodeBootstrapAddress(entry, i).toString()
  })

  const invite: Invite = { key: new Uint8Array(key), id: swarmId(key), bootstrap }
  if ('n' in map) {
    if (typeof map.n !== 'string') throw new InviteNameError('is not text')
    invite.name = checkName(map.n)
  }
  return invite
}

function checkAddressCount (count: number): void {
  if (count === 0) throw new InviteNoBootstrapError()
  if (count > MAX_INVITE_ADDRESSES) throw new InviteTooManyAddressesError(count, MAX_INVITE_ADDRESSES)
}

function checkName (name: string): string {
  if (typeof name !== 'string') throw new InviteNameError('is not text')
  if (name.length === 0) throw new InviteNameError('is empty: leave it out or give a short label')
  if (Buffer.byteLength(name) > MAX_INVITE_NAME_BYTES) {
    throw new InviteNameError(`is longer than ${MAX_INVITE_NAME_BYTES} bytes: use a shorter label`)
  }
  if (UNSAFE_NAME_CHAR.test(name)) throw new InviteNameError('contains control characters: use plain text')
  return name
}

function checksum (payload: Uint8Array): Buffer {
  return Buffer.from(sha256(payload).subarray(0, CHECKSUM_LENGTH))
}

/**
 * Strict base64url: Node's decoder silently drops a dangling character and
 * ignores the spare bits of the last one, so a cut or edited line could
 * decode to the same bytes. Only the canonical spelling (the one that
 * re-encodes to the same text) is accepted.
 */
function decodeBase64url (text: string): Buffer {
  const bytes = Buffer.from(text, 'base64url')
  if (bytes.toString('base64url') !== text) throw new InviteChecksumError()
  return bytes
}

// Hints never quote the input: it may be a key file or a share link with its key.
function prefixHint (text: string): string {
  const lower = text.toLowerCase()
  if (lower.startsWith('veil://') || lower.startsWith('magnet:') || lower.startsWith('http://') || lower.startsWith('https://')) {
    return ' (this looks like a share link: open it with `veil get`)'
  }
  if (lower.startsWith('/key/swarm/psk/')) {
    return ' (this looks like a swarm.key file: save it as the node\'s key file instead)'
  }
  if (/^\/(ip4|ip6|dns|dns4|dns6|dnsaddr)\//.test(lower)) {
    return ' (this looks like a single peer address: ask a swarm member for a full invite)'
  }
  return ''
}
