import { createHash } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, it, expect } from 'vitest'
import { VeilError } from '../../../src/errors.js'
import {
  InvalidInviteError, MAX_INVITE_ADDRESSES, MAX_INVITE_LENGTH, createSwarmKey, formatInvite, formatSwarmKeyFile,
  parseInvite, swarmId
} from '../../../src/swarm/index.js'
import { KEY, PEER_1, PEER_2, PEER_3, errorOf, expectNoKeyIn, type CaughtError } from './helpers.js'

const ADDR_1 = `/ip4/127.0.0.1/tcp/4001/p2p/${PEER_1}`
const ADDR_2 = `/ip6/::1/tcp/4002/p2p/${PEER_2}`
const ADDR_3 = `/dns4/veil.example.org/tcp/4003/p2p/${PEER_3}`

/** KEY with ADDR_1: a change here is a format change. */
const VECTOR_1 = 'veil-invite:v1:omFigVgxBH8AAAEGD6GlAyYAJAgBEiCKiOPddAnxlf1S2y08ul1yymcJvx2UEhvzdIgBtA9vXGFrWCABCA8WHSQrMjlAR05VXGNqcXh_ho2Um6KpsLe-xczT2vWyWDI'
const PREFIX_LENGTH = 'veil-invite:v1:'.length

/** An invite line around any payload, with a valid checksum: to test what the checksum cannot catch. */
function seal (body: unknown, version = 'v1'): string {
  return sealBytes(dagCbor.encode(body), version)
}

function sealBytes (payload: Uint8Array, version = 'v1'): string {
  const sum = createHash('sha256').update(payload).digest().subarray(0, 4)
  return `veil-invite:${version}:${Buffer.concat([payload, sum]).toString('base64url')}`
}

function expectInviteError (err: CaughtError, name: string, ...fragments: string[]): void {
  expect(err.name).toBe(name)
  expect(err).toBeInstanceOf(InvalidInviteError)
  expect(err).toBeInstanceOf(VeilError)
  expect(err.code).toMatch(/^ERR_INVITE_/)
  for (const fragment of fragments) expect(err.message).toContain(fragment)
  expectNoKeyIn(err.message)
}

const CUT_OR_ALTERED = 'the invite was cut short or altered: copy the whole line again'

describe('invite vectors', () => {
  it('formats one address exactly', () => {
    expect(formatInvite({ key: KEY, bootstrap: [ADDR_1] })).toBe(VECTOR_1)
  })

  it('parses the vector', () => {
    expect(parseInvite(VECTOR_1)).toEqual({ key: KEY, id: '04bf66a9824ad584', bootstrap: [ADDR_1] })
  })
})

describe('invite round trip', () => {
  it('with one address', () => {
    const key = createSwarmKey()
    const invite = parseInvite(formatInvite({ key, bootstrap: [ADDR_1] }))
    expect(invite).toEqual({ key, id: swarmId(key), bootstrap: [ADDR_1] })
    expect(invite.name).toBeUndefined()
  })

  it('with three addresses and a name, in order', () => {
    const text = formatInvite({ key: KEY, bootstrap: [ADDR_1, ADDR_2, ADDR_3], name: 'lab backups ✓' })
    expect(text.length).toBeLessThan(400)
    expect(parseInvite(text)).toEqual({ key: KEY, id: swarmId(KEY), bootstrap: [ADDR_1, ADDR_2, ADDR_3], name: 'lab backups ✓' })
  })

  it('returns addresses in canonical form and tolerates surrounding whitespace', () => {
    const text = formatInvite({ key: KEY, bootstrap: [`/ip4/127.0.0.1/tcp/4001/ipfs/${PEER_1}`] })
    expect(parseInvite(`  ${text}\r\n`).bootstrap).toEqual([ADDR_1])
  })

  it('accepts the largest allowed address list', () => {
    const many = Array.from({ length: MAX_INVITE_ADDRESSES }, (_, i) => `/ip4/10.0.0.${i + 1}/tcp/4001/p2p/${PEER_1}`)
    expect(parseInvite(formatInvite({ key: KEY, bootstrap: many })).bootstrap).toEqual(many)
  })
})

describe('a damaged invite', () => {
  it('cut short by 1, 5 or 20 characters is caught', () => {
    for (const drop of [1, 5, 20]) {
      expectInviteError(errorOf(() => parseInvite(VECTOR_1.slice(0, -drop))), 'InviteChecksumError', CUT_OR_ALTERED)
    }
  })

  it('cut anywhere in its payload is caught', () => {
    for (let end = PREFIX_LENGTH; end < VECTOR_1.length; end++) {
      expect(errorOf(() => parseInvite(VECTOR_1.slice(0, end))).name).toBe('InviteChecksumError')
    }
  })

  it('with one character changed in the middle is caught', () => {
    const middle = Math.floor((PREFIX_LENGTH + VECTOR_1.length) / 2)
    const flipped = VECTOR_1.slice(0, middle) + (VECTOR_1[middle] === 'A' ? 'B' : 'A') + VECTOR_1.slice(middle + 1)
    expectInviteError(errorOf(() => parseInvite(flipped)), 'InviteChecksumError', CUT_OR_ALTERED)
  })

  it('with any one payload character changed is caught', () => {
    for (let i = PREFIX_LENGTH; i < VECTOR_1.length; i++) {
      const changed = VECTOR_1.slice(0, i) + (VECTOR_1[i] === 'x' ? 'y' : 'x') + VECTOR_1.slice(i + 1)
      expect(errorOf(() => parseInvite(changed)).name).toBe('InviteChecksumError')
    }
  })

  it('with extra characters appended is caught', () => {
    for (const extra of ['A', 'AA', 'AAAA']) {
      expect(errorOf(() => parseInvite(VECTOR_1 + extra)).name).toBe('InviteChecksumError')
    }
  })

  // Node's base64url decoder ignores these edits, so only the strict decoder catches them.
  it('with the spare bits of its last character changed is caught', () => {
    const payload = VECTOR_1.slice(PREFIX_LENGTH)
    const bytes = Buffer.from(payload, 'base64url')
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const twins = [...alphabet]
      .map(c => payload.slice(0, -1) + c)
      .filter(p => p !== payload && Buffer.from(p, 'base64url').equals(bytes))
    expect(twins.length).toBeGreaterThan(0)
    for (const twin of twins) expect(errorOf(() => parseInvite(`veil-invite:v1:${twin}`)).name).toBe('InviteChecksumError')
  })

  it('with one dangling character after a whole base64 block is caught', () => {
    let text = ''
    for (let n = 1; text === '' || (text.length - PREFIX_LENGTH) % 4 !== 0; n++) {
      text = formatInvite({ key: KEY, bootstrap: [ADDR_1], name: 'x'.repeat(n) })
    }
    expect(parseInvite(text).key).toEqual(KEY)
    expect(errorOf(() => parseInvite(`${text}A`)).name).toBe('InviteChecksumError')
  })

  it('with no version or payload is caught as cut short', () => {
    for (const text of ['veil-invite:', 'veil-invite:v1', 'veil-invite:v1:']) {
      expectInviteError(errorOf(() => parseInvite(text)), 'InviteChecksumError', CUT_OR_ALTERED)
    }
  })

  it('broken across lines is told to be joined', () => {
    const broken = `${VECTOR_1.slice(0, 60)}\n${VECTOR_1.slice(60)}`
    expectInviteError(errorOf(() => parseInvite(broken)), 'InviteWhitespaceError', 'one unbroken line')
    expect(errorOf(() => parseInvite(`${VECTOR_1.slice(0, 60)} ${VECTOR_1.slice(60)}`)).name).toBe('InviteWhitespaceError')
  })

  it('with characters outside base64url names their position', () => {
    const text = `${VECTOR_1.slice(0, 30)}+${VECTOR_1.slice(31)}`
    expectInviteError(errorOf(() => parseInvite(text)), 'InviteEncodingError', 'position 31')
    expect(errorOf(() => parseInvite(`${VECTOR_1}=`)).name).toBe('InviteEncodingError')
  })
})

describe('parseInvite rejects', () => {
  it('an empty paste', () => {
    expectInviteError(errorOf(() => parseInvite('  \n')), 'InviteEmptyError')
  })

  it('something that is not an invite, with a hint when it is another Veil thing', () => {
    expectInviteError(errorOf(() => parseInvite('hello')), 'InvitePrefixError', 'veil-invite:')
    expectInviteError(errorOf(() => parseInvite('veil://bafyrei#abc')), 'InvitePrefixError', 'share link')
    expectInviteError(errorOf(() => parseInvite(formatSwarmKeyFile(KEY))), 'InvitePrefixError', 'swarm.key file')
    expectInviteError(errorOf(() => parseInvite(ADDR_1)), 'InvitePrefixError', 'single peer address')
  })

  it('an unsupported version', () => {
    const v2 = VECTOR_1.replace(':v1:', ':v2:')
    expectInviteError(errorOf(() => parseInvite(v2)), 'InviteVersionError', '"v2"', 'v1')
    expectInviteError(errorOf(() => parseInvite(seal({ k: KEY, b: [multiaddr(ADDR_1).bytes] }, 'v10'))), 'InviteVersionError', '"v10"')
    expectInviteError(errorOf(() => parseInvite('veil-invite:%%:abc')), 'InviteVersionError', '(unreadable)')
  })

  it('an over-long paste before decoding it', () => {
    const text = `veil-invite:v1:${'A'.repeat(MAX_INVITE_LENGTH)}`
    expectInviteError(errorOf(() => parseInvite(text)), 'InviteTooLongError', String(MAX_INVITE_LENGTH))
  })

  it('an invite without a bootstrap address', () => {
    expectInviteError(errorOf(() => parseInvite(seal({ k: KEY, b: [] }))), 'InviteNoBootstrapError', 'at least one')
  })

  it('an invite with too many addresses', () => {
    const b = Array.from({ length: MAX_INVITE_ADDRESSES + 1 }, () => multiaddr(ADDR_1).bytes)
    expectInviteError(errorOf(() => parseInvite(seal({ k: KEY, b }))), 'InviteTooManyAddressesError', '33', '32')
  })

  it('an address without a peer id, naming which one', () => {
    const b = [multiaddr(ADDR_1).bytes, multiaddr('/ip4/192.0.2.1/tcp/4001').bytes]
    expectInviteError(errorOf(() => parseInvite(seal({ k: KEY, b }))), 'InviteAddressError', 'bootstrap address 2', '/ip4/192.0.2.1/tcp/4001', '/p2p/')
  })

  it('an address that cannot be decoded', () => {
    const b = [Uint8Array.from([0x04, 1, 2])]
    expectInviteError(errorOf(() => parseInvite(seal({ k: KEY, b }))), 'InviteAddressError', 'bootstrap address 1')
  })

  it('content that is not a v1 invite even though its checksum holds', () => {
    const addr = multiaddr(ADDR_1).bytes
    const cases: unknown[] = [
      { k: KEY, b: [addr], x: 1 },
      { b: [addr] },
      { k: KEY.subarray(0, 31), b: [addr] },
      { k: Buffer.from(KEY).toString('hex'), b: [addr] },
      { k: KEY, b: addr },
      { k: KEY, b: [ADDR_1] },
      [KEY, [addr]],
      'text'
    ]
    for (const body of cases) expectInviteError(errorOf(() => parseInvite(seal(body))), 'InviteMalformedError', 'veil swarm invite')
  })

  it('a second spelling of the same content (map keys out of order)', () => {
    const addr = multiaddr(ADDR_1).bytes
    const canonical = dagCbor.encode({ k: KEY, b: [addr] })
    // dag-cbor sorts keys (b before k); the decoder accepts k first, the invite parser must not.
    const unsorted = Buffer.concat([
      Uint8Array.from([0xa2, 0x61, 0x6b, 0x58, 0x20]), KEY,
      Uint8Array.from([0x61, 0x62, 0x81, 0x58, addr.length]), addr
    ])
    expect(unsorted.length).toBe(canonical.length)
    expect(dagCbor.decode(unsorted)).toEqual(dagCbor.decode(canonical))
    expectInviteError(errorOf(() => parseInvite(sealBytes(unsorted))), 'InviteMalformedError', 'canonically')
  })

  it('a name with control characters or no text', () => {
    const b = [multiaddr(ADDR_1).bytes]
    expectInviteError(errorOf(() => parseInvite(seal({ k: KEY, b, n: 'evil\u001b[2J' }))), 'InviteNameError', 'control characters')
    expectInviteError(errorOf(() => parseInvite(seal({ k: KEY, b, n: 42 }))), 'InviteNameError', 'not text')
  })
})

describe('formatInvite rejects', () => {
  it('no bootstrap address', () => {
    expectInviteError(errorOf(() => formatInvite({ key: KEY, bootstrap: [] })), 'InviteNoBootstrapError')
  })

  it('an invalid address, naming which one', () => {
    expectInviteError(errorOf(() => formatInvite({ key: KEY, bootstrap: [ADDR_1, 'garbage'] })), 'InviteAddressError', 'bootstrap address 2', 'garbage')
    expectInviteError(errorOf(() => formatInvite({ key: KEY, bootstrap: ['/ip4/999.1.1.1/tcp/1/p2p/' + PEER_1] })), 'InviteAddressError', 'bootstrap address 1', 'not a valid multiaddr')
    expectInviteError(errorOf(() => formatInvite({ key: KEY, bootstrap: ['/ip4/192.0.2.1/tcp/4001'] })), 'InviteAddressError', 'does not end with /p2p/')
    expectInviteError(errorOf(() => formatInvite({ key: KEY, bootstrap: [`/p2p/${PEER_1}`] })), 'InviteAddressError', 'no network address')
    expectInviteError(errorOf(() => formatInvite({ key: KEY, bootstrap: [`/ip4/192.0.2.1/tcp/4001/p2p/${PEER_1}/p2p-circuit`] })), 'InviteAddressError', 'does not end with /p2p/')
  })

  it('too many addresses, and a line over the length limit', () => {
    const tooMany = Array.from({ length: MAX_INVITE_ADDRESSES + 1 }, () => ADDR_1)
    expectInviteError(errorOf(() => formatInvite({ key: KEY, bootstrap: tooMany })), 'InviteTooManyAddressesError')
    const label = 'a'.repeat(60)
    const long = Array.from({ length: MAX_INVITE_ADDRESSES }, (_, i) => `/dns4/${label}.${label}.${label}.example${i}.org/tcp/4001/p2p/${PEER_1}`)
    expectInviteError(errorOf(() => formatInvite({ key: KEY, bootstrap: long })), 'InviteTooLongError')
  })

  it('a bad name', () => {
    expectInviteError(errorOf(() => formatInvite({ key: KEY, bootstrap: [ADDR_1], name: '' })), 'InviteNameError', 'empty')
    expectInviteError(errorOf(() => formatInvite({ key: KEY, bootstrap: [ADDR_1], name: 'x'.repeat(101) })), 'InviteNameError', '100 bytes')
    expectInviteError(errorOf(() => formatInvite({ key: KEY, bootstrap: [ADDR_1], name: 'a\u202eb' })), 'InviteNameError', 'control characters')
  })

  it('a key of the wrong length', () => {
    expect(errorOf(() => formatInvite({ key: new Uint8Array(31), bootstrap: [ADDR_1] })).name).toBe('InvalidParametersError')
  })
})
