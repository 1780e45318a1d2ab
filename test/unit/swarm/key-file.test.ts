import { createHash } from 'node:crypto'
import { describe, it, expect } from 'vitest'
import { generateKey, preSharedKey } from '@libp2p/pnet'
import {
  VeilError
} from '../../../src/errors.js'
import {
  InvalidSwarmKeyError, blockProtocol, createSwarmKey, dhtProtocol, formatSwarmKeyFile, parseSwarmKeyFile,
  swarmId, swarmKeyFileBytes, swarmProtocolPrefix, MAX_SWARM_KEY_FILE_SIZE
} from '../../../src/swarm/index.js'
import { KEY, KEY_HEX, errorOf, expectNoKeyIn } from './helpers.js'

/** What kubo's ipfs-swarm-key-gen and @libp2p/pnet's generateKey write for KEY. */
const KUBO_FILE = '/key/swarm/psk/1.0.0/\n/base16/\n01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da'
const HEADER = '/key/swarm/psk/1.0.0/'

describe('swarm key file vectors', () => {
  it('formats exactly the kubo / pnet bytes (a change here breaks compatibility)', () => {
    expect(KEY_HEX).toBe('01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da')
    expect(formatSwarmKeyFile(KEY)).toBe(KUBO_FILE)
    expect(swarmKeyFileBytes(KEY)).toEqual(new TextEncoder().encode(KUBO_FILE))
    expect(swarmKeyFileBytes(KEY).length).toBe(95)
  })

  it('parses the hand-written kubo file', () => {
    const parsed = parseSwarmKeyFile(KUBO_FILE)
    expect(parsed.key).toEqual(KEY)
    expect(parsed.encoding).toBe('base16')
    expect(parsed.id).toBe('04bf66a9824ad584')
  })

  it('matches @libp2p/pnet generateKey byte for byte', () => {
    for (let i = 0; i < 8; i++) {
      const written = new Uint8Array(95)
      generateKey(written)
      const parsed = parseSwarmKeyFile(written)
      expect(swarmKeyFileBytes(parsed.key)).toEqual(written)
      expect(formatSwarmKeyFile(parsed.key)).toBe(new TextDecoder().decode(written))
    }
  })

  it('writes a file @libp2p/pnet accepts, even when the source file was one pnet would refuse', () => {
    const base64 = `${HEADER}\n/base64/\n${Buffer.from(KEY).toString('base64')}\n`
    // pnet ignores line 2 and reads line 3 as hex: this is why swarmKeyFileBytes exists.
    expect(() => preSharedKey({ psk: new TextEncoder().encode(base64) })()).toThrow()
    const key = parseSwarmKeyFile(base64).key
    expect(() => preSharedKey({ psk: swarmKeyFileBytes(key) })()).not.toThrow()
  })
})

describe('parseSwarmKeyFile accepts', () => {
  it('a round trip of fresh keys', () => {
    const a = createSwarmKey()
    const b = createSwarmKey()
    expect(a.length).toBe(32)
    expect(a).not.toEqual(b)
    expect(parseSwarmKeyFile(formatSwarmKeyFile(a)).key).toEqual(a)
  })

  it('CRLF line endings, a trailing newline or not, trailing blank lines, upper-case hex', () => {
    const variants = [
      KUBO_FILE,
      `${KUBO_FILE}\n`,
      `${HEADER}\r\n/base16/\r\n${KEY_HEX}`,
      `${HEADER}\r\n/base16/\r\n${KEY_HEX}\r\n`,
      `${HEADER}\n/base16/\n${KEY_HEX.toUpperCase()}\n`,
      `${KUBO_FILE}\n\n  \n`,
      `${KUBO_FILE}  \t\n`
    ]
    for (const text of variants) {
      expect(parseSwarmKeyFile(text).key).toEqual(KEY)
      expect(parseSwarmKeyFile(new TextEncoder().encode(text)).key).toEqual(KEY)
    }
  })

  it('the /base64/ encoding kubo reads', () => {
    const text = `${HEADER}\n/base64/\n${Buffer.from(KEY).toString('base64')}\n`
    expect(Buffer.from(KEY).toString('base64')).toHaveLength(44)
    expect(parseSwarmKeyFile(text)).toMatchObject({ key: KEY, encoding: 'base64', id: '04bf66a9824ad584' })
  })

  it('the /bin/ encoding kubo reads, even when the key bytes contain line breaks', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => (i % 3 === 0 ? 0x0a : i === 1 ? 0x0d : i))
    const head = new TextEncoder().encode(`${HEADER}\n/bin/\n`)
    for (const tail of [[], [0x0a], [0x0d, 0x0a]]) {
      const parsed = parseSwarmKeyFile(Uint8Array.from([...head, ...key, ...tail]))
      expect(parsed.key).toEqual(key)
      expect(parsed.encoding).toBe('bin')
    }
  })
})

describe('parseSwarmKeyFile rejects', () => {
  const cases: Array<[string, string | Uint8Array, string, string[]]> = [
    ['an empty file', '', 'SwarmKeyEmptyError', ['empty']],
    ['a file of blank lines', '\n \r\n\t', 'SwarmKeyEmptyError', ['empty']],
    ['a wrong header', `/key/swarm/psk/2.0.0/\n/base16/\n${KEY_HEX}`, 'SwarmKeyHeaderError', ['line 1', HEADER]],
    ['a file holding only the key', `${KEY_HEX}\n`, 'SwarmKeyHeaderError', ['line 1', 'only the key']],
    ['a header behind a byte-order mark', `\uFEFF${KUBO_FILE}`, 'SwarmKeyHeaderError', ['line 1', 'byte-order mark']],
    ['lone CR line endings', `${HEADER}\r/base16/\r${KEY_HEX}`, 'SwarmKeyHeaderError', ['line 1', '\\r']],
    ['a header alone', `${HEADER}\n`, 'SwarmKeyEncodingError', ['line 2', 'missing']],
    ['a header without its newline', HEADER, 'SwarmKeyEncodingError', ['line 2', 'missing']],
    ['an unknown encoding', `${HEADER}\n/base32/\n${KEY_HEX}`, 'SwarmKeyEncodingError', ['line 2', '/base32/', '/base16/']],
    ['a missing encoding line', `${HEADER}\n${KEY_HEX}\n`, 'SwarmKeyEncodingError', ['line 2', 'looks like the key']],
    ['an empty encoding line', `${HEADER}\n\n/base16/\n${KEY_HEX}`, 'SwarmKeyEncodingError', ['line 2', 'empty']],
    ['a short key', `${HEADER}\n/base16/\n${KEY_HEX.slice(0, 63)}`, 'SwarmKeyLengthError', ['line 3', '63 hex characters', '64']],
    ['a long key', `${HEADER}\n/base16/\n${KEY_HEX}0`, 'SwarmKeyLengthError', ['line 3', '65 hex characters', '64']],
    ['no key line', `${HEADER}\n/base16/\n`, 'SwarmKeyLengthError', ['line 3', '0 hex characters']],
    ['an encoding line without its newline', `${HEADER}\n/base16/`, 'SwarmKeyLengthError', ['line 3', '0 hex characters']],
    ['a key split over two lines', `${HEADER}\n/base16/\n${KEY_HEX.slice(0, 32)}\n${KEY_HEX.slice(32)}`, 'SwarmKeyLengthError', ['line 3', '32 hex characters']],
    ['a non-hex character', `${HEADER}\n/base16/\n${KEY_HEX.slice(0, 9)}g${KEY_HEX.slice(10)}`, 'SwarmKeyCharacterError', ['line 3', 'column 10', 'hex']],
    ['a space inside the key', `${HEADER}\n/base16/\n ${KEY_HEX}`, 'SwarmKeyCharacterError', ['line 3', 'column 1']],
    ['an extra line', `${KUBO_FILE}\nmore`, 'SwarmKeyExtraLineError', ['line 4']],
    ['an extra line after blank ones', `${KUBO_FILE}\n\n\nmore\n`, 'SwarmKeyExtraLineError', ['line 6']],
    ['a short base64 key', `${HEADER}\n/base64/\n${Buffer.from(KEY).toString('base64').slice(0, 40)}`, 'SwarmKeyLengthError', ['line 3', '40 base64 characters', '44']],
    ['a base64url key', `${HEADER}\n/base64/\n${Buffer.alloc(32, 0xfb).toString('base64url')}`, 'SwarmKeyCharacterError', ['line 3', 'column 1', 'base64']],
    ['a /bin/ file given as text', `${HEADER}\n/bin/\n${'x'.repeat(32)}`, 'SwarmKeyBinaryTextError', ['raw bytes']],
    ['a short /bin/ key', new TextEncoder().encode(`${HEADER}\n/bin/\n${'x'.repeat(31)}`), 'SwarmKeyLengthError', ['line 3', '31 bytes', '32']],
    ['data after a /bin/ key', new TextEncoder().encode(`${HEADER}\n/bin/\n${'x'.repeat(32)}\nmore`), 'SwarmKeyExtraLineError', ['extra data']],
    ['a huge file', `${KUBO_FILE}\n${' '.repeat(MAX_SWARM_KEY_FILE_SIZE)}`, 'SwarmKeyTooLargeError', ['over the 4096-byte limit']]
  ]

  for (const [what, input, name, fragments] of cases) {
    it(`${what} with ${name}`, () => {
      const err = errorOf(() => parseSwarmKeyFile(input))
      expect(err.name).toBe(name)
      expect(err).toBeInstanceOf(InvalidSwarmKeyError)
      expect(err).toBeInstanceOf(VeilError)
      expect(err.code).toMatch(/^ERR_SWARM_KEY_/)
      for (const fragment of fragments) expect(err.message).toContain(fragment)
      expectNoKeyIn(err.message)
    })
  }
})

describe('swarm id', () => {
  it('is a fixed 16-hex-character vector, SHA-256("veil/v1/swarm-id" ‖ key) cut to 8 bytes', () => {
    expect(swarmId(KEY)).toBe('04bf66a9824ad584')
    expect(swarmId(new Uint8Array(32))).toBe('238dcf245cfd57da')
    const expected = createHash('sha256').update('veil/v1/swarm-id').update(KEY).digest('hex').slice(0, 16)
    expect(swarmId(KEY)).toBe(expected)
  })

  it('does not depend on how the file spelled the key', () => {
    const upper = parseSwarmKeyFile(`${HEADER}\r\n/base16/\r\n${KEY_HEX.toUpperCase()}`)
    const base64 = parseSwarmKeyFile(`${HEADER}\n/base64/\n${Buffer.from(KEY).toString('base64')}`)
    expect(upper.id).toBe(swarmId(KEY))
    expect(base64.id).toBe(swarmId(KEY))
  })

  it('differs for different keys and reveals no part of the key', () => {
    const other = Uint8Array.from(KEY)
    other[31] = (other[31] ?? 0) ^ 1
    expect(swarmId(other)).not.toBe(swarmId(KEY))
    const ids = new Set(Array.from({ length: 64 }, () => swarmId(createSwarmKey())))
    expect(ids.size).toBe(64)
    for (let i = 0; i < 16; i++) {
      const key = createSwarmKey()
      const id = swarmId(key)
      expect(id).toMatch(/^[0-9a-f]{16}$/)
      expectNoKeyIn(id, key)
    }
  })

  it('rejects a key of the wrong length', () => {
    expect(errorOf(() => swarmId(new Uint8Array(31))).name).toBe('InvalidParametersError')
    expect(errorOf(() => formatSwarmKeyFile(new Uint8Array(33))).name).toBe('InvalidParametersError')
  })
})

describe('swarm protocols', () => {
  it('names the public network and a swarm apart', () => {
    const id = swarmId(KEY)
    expect(dhtProtocol()).toBe('/veil/kad/1.0.0')
    expect(blockProtocol()).toBe('/veil/blocks/2.0.0')
    expect(dhtProtocol(id)).toBe('/veil/04bf66a9824ad584/kad/1.0.0')
    expect(blockProtocol(id)).toBe('/veil/04bf66a9824ad584/blocks/2.0.0')
    expect(swarmProtocolPrefix(id)).toBe('/veil/04bf66a9824ad584')
  })

  it('refuses an id that is not a swarm id', () => {
    for (const bad of ['', '../kad', '04BF66A9824AD584', '04bf66a9824ad58', 'x/y', KEY_HEX]) {
      expect(errorOf(() => dhtProtocol(bad)).name).toBe('InvalidParametersError')
    }
  })
})
