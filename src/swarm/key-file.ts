import { randomBytes } from 'node:crypto'
import { InvalidParametersError } from '@libp2p/interface'
import {
  SwarmKeyBinaryTextError, SwarmKeyCharacterError, SwarmKeyEmptyError, SwarmKeyEncodingError,
  SwarmKeyExtraLineError, SwarmKeyHeaderError, SwarmKeyLengthError, SwarmKeyTooLargeError
} from './errors.js'
import { SWARM_KEY_LENGTH, swarmId } from './protocols.js'

/*
 * The IPFS `swarm.key` format (libp2p "Private-Networks-PSK-V1"):
 *
 *   /key/swarm/psk/1.0.0/\n
 *   /base16/\n
 *   <64 hex characters>
 *
 * Written exactly as @libp2p/pnet's generateKey and kubo's
 * ipfs-swarm-key-gen write it: "\n" line endings, lower-case hex, no newline
 * after the key (95 bytes). Read as go-libp2p's core/pnet DecodeV1PSK reads
 * it (what kubo uses), which also accepts "\r\n", upper-case hex and the
 * /base64/ and /bin/ encodings; we are stricter only where kubo silently
 * ignores junk after the key.
 */

export const SWARM_KEY_HEADER = '/key/swarm/psk/1.0.0/'
export const SWARM_KEY_BASE16 = '/base16/'
/** A real file is 95–99 bytes; anything much larger is the wrong file. */
export const MAX_SWARM_KEY_FILE_SIZE = 4096

export type SwarmKeyEncoding = 'base16' | 'base64' | 'bin'

export interface SwarmKey {
  /** The 32-byte pre-shared key. Secret. */
  key: Uint8Array
  /** Public swarm id derived from the key (see `swarmId`). */
  id: string
  /** How the file encoded the key; Veil itself always writes base16. */
  encoding: SwarmKeyEncoding
}

const ENCODINGS = new Map<string, SwarmKeyEncoding>([
  ['/base16/', 'base16'],
  ['/base64/', 'base64'],
  ['/bin/', 'bin']
])

const LF = 0x0a
const HEX_KEY_LENGTH = SWARM_KEY_LENGTH * 2
/** Standard padded base64 of 32 bytes: 43 characters and one "=". */
const BASE64_KEY_LENGTH = 44
const NOT_HEX = /[^0-9a-fA-F]/
const NOT_BASE64 = /[^A-Za-z0-9+/=]|=(?=[^=])/
const LOOKS_LIKE_HEX_KEY = /^[0-9a-fA-F]{64}\s*$/
const LOOKS_LIKE_ENCODING = /^\/[a-z0-9-]{1,24}\/$/

/** A fresh random swarm key. */
export function createSwarmKey (): Uint8Array {
  return new Uint8Array(randomBytes(SWARM_KEY_LENGTH))
}

/** The canonical file text, byte for byte what @libp2p/pnet's generateKey writes. */
export function formatSwarmKeyFile (key: Uint8Array): string {
  if (key.length !== SWARM_KEY_LENGTH) {
    throw new InvalidParametersError(`a swarm key is ${SWARM_KEY_LENGTH} bytes, got ${key.length}`)
  }
  return `${SWARM_KEY_HEADER}\n${SWARM_KEY_BASE16}\n${Buffer.from(key).toString('hex')}`
}

/**
 * The canonical file as bytes: what to give @libp2p/pnet's
 * `preSharedKey({ psk })`. Always pass this rather than a file's own bytes:
 * pnet's decoder ignores line 2 and reads line 3 as hex (lower-case only
 * outside Node), so a kubo-valid /base64/ or /bin/ file would be refused there.
 */
export function swarmKeyFileBytes (key: Uint8Array): Uint8Array {
  return new TextEncoder().encode(formatSwarmKeyFile(key))
}

/**
 * Parse a swarm.key file. Pass bytes when you have them: a /bin/ key cannot
 * survive a round trip through a JavaScript string.
 */
export function parseSwarmKeyFile (input: string | Uint8Array): SwarmKey {
  const fromText = typeof input === 'string'
  const bytes = fromText ? new TextEncoder().encode(input) : input
  if (bytes.length > MAX_SWARM_KEY_FILE_SIZE) throw new SwarmKeyTooLargeError(bytes.length, MAX_SWARM_KEY_FILE_SIZE)
  if (bytes.every(isBlank)) throw new SwarmKeyEmptyError()

  // Lines 1 and 2 end at "\n", with an optional "\r" before it, exactly as kubo
  // reads them (bufio ReadBytes('\n'), then TrimRight "\r\n").
  const [line1, afterLine1] = splitLine(bytes)
  if (line1 !== SWARM_KEY_HEADER) throw new SwarmKeyHeaderError(SWARM_KEY_HEADER, headerHint(line1))

  const [line2, body] = splitLine(afterLine1 ?? new Uint8Array(0))
  const encoding = ENCODINGS.get(line2)
  if (encoding === undefined) throw new SwarmKeyEncodingError(describeLine2(line2, afterLine1))

  const rest = body ?? new Uint8Array(0)
  const key = encoding === 'bin' ? readBinaryKey(rest, fromText) : readTextKey(rest, encoding)
  return { key, id: swarmId(key), encoding }
}

function readBinaryKey (body: Uint8Array, fromText: boolean): Uint8Array {
  if (fromText) throw new SwarmKeyBinaryTextError()
  // The 32 raw bytes may themselves contain "\n", so this encoding has no line 3 to split.
  if (body.length < SWARM_KEY_LENGTH) throw new SwarmKeyLengthError(body.length, SWARM_KEY_LENGTH, 'bytes')
  if (!body.subarray(SWARM_KEY_LENGTH).every(isBlank)) throw new SwarmKeyExtraLineError(0)
  // A copy, and a plain Uint8Array: a Buffer's slice() would share the file's memory.
  return new Uint8Array(body.subarray(0, SWARM_KEY_LENGTH))
}

function readTextKey (body: Uint8Array, encoding: 'base16' | 'base64'): Uint8Array {
  const lines = Buffer.from(body).toString('utf8').split('\n')
  // kubo stops reading after the key, so trailing spaces or a "\r" are harmless there and here.
  const keyLine = (lines[0] ?? '').replace(/[ \t\r]+$/, '')
  const key = encoding === 'base16' ? decodeHexLine(keyLine) : decodeBase64Line(keyLine)
  for (let i = 1; i < lines.length; i++) {
    if ((lines[i] ?? '').trim() !== '') throw new SwarmKeyExtraLineError(i + 3)
  }
  return key
}

function decodeHexLine (line: string): Uint8Array {
  const bad = NOT_HEX.exec(line)
  if (bad !== null) throw new SwarmKeyCharacterError('base16', bad.index + 1)
  if (line.length !== HEX_KEY_LENGTH) throw new SwarmKeyLengthError(line.length, HEX_KEY_LENGTH, 'hex characters')
  return new Uint8Array(Buffer.from(line, 'hex'))
}

function decodeBase64Line (line: string): Uint8Array {
  const bad = NOT_BASE64.exec(line)
  if (bad !== null) throw new SwarmKeyCharacterError('base64', bad.index + 1)
  // Go's StdEncoding needs the padding: 43 characters and exactly one "=".
  if (line.length !== BASE64_KEY_LENGTH || !line.endsWith('=') || line.endsWith('==')) {
    throw new SwarmKeyLengthError(line.length, BASE64_KEY_LENGTH, 'base64 characters')
  }
  return new Uint8Array(Buffer.from(line, 'base64'))
}

/** One line (without "\n" and trailing "\r"s) and what follows it, or undefined after the last line. */
function splitLine (bytes: Uint8Array): [string, Uint8Array | undefined] {
  const end = bytes.indexOf(LF)
  const raw = end === -1 ? bytes : bytes.subarray(0, end)
  const line = Buffer.from(raw).toString('utf8').replace(/\r+$/, '')
  return [line, end === -1 ? undefined : bytes.subarray(end + 1)]
}

function isBlank (byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d
}

// Hints never quote the line: a damaged file may have the key where the header should be.
function headerHint (line: string): string {
  if (line.replace(/^\uFEFF/, '').trim() === SWARM_KEY_HEADER) {
    return ' (it has extra spaces or an invisible character such as a byte-order mark: remove them)'
  }
  if (line.startsWith(`${SWARM_KEY_HEADER}\r`)) {
    return ' (the lines end with a lone "\\r": save the file with "\\n" line endings)'
  }
  if (LOOKS_LIKE_HEX_KEY.test(line)) {
    return ` (the file seems to hold only the key: add the lines ${SWARM_KEY_HEADER} and ${SWARM_KEY_BASE16} above it)`
  }
  return ''
}

function describeLine2 (line: string, afterLine1: Uint8Array | undefined): string {
  if (afterLine1 === undefined || (line === '' && afterLine1.every(isBlank))) return 'is missing'
  if (line === '') return 'is empty'
  if (LOOKS_LIKE_HEX_KEY.test(line)) return `looks like the key itself (the ${SWARM_KEY_BASE16} line is missing above it)`
  if (LOOKS_LIKE_ENCODING.test(line)) return `names the unknown encoding ${line}`
  return 'is not an encoding name'
}
