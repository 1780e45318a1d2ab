import { describe, it, expect } from 'vitest'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { base58btc } from 'multiformats/bases/base58'
import { formatLink, formatGatewayLink, formatMagnetLink, formatVerifyLink, parseLink, parseShareLink, encodeKey } from '../../../src/link/index.js'
import { dagCborCid, rawCid } from '../../../src/format/cid.js'

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1)
const ROOT = dagCborCid(new TextEncoder().encode('veil link test vector'))
const CID_TEXT = ROOT.toString()
const KEY_TEXT = encodeKey(KEY)

describe('link vectors', () => {
  it('formats the canonical form exactly (a change here is a format change)', () => {
    expect(CID_TEXT).toBe('bafyreibpx6myexvkynkza5iigfe5p3dqmp3sxwffzhrut6msp7x6k3xkiy')
    expect(KEY_TEXT).toBe('AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09o')
    expect(formatLink({ cid: ROOT, key: KEY })).toBe(`veil://${CID_TEXT}#${KEY_TEXT}`)
  })

  it('formats the gateway, magnet and verify-only forms', () => {
    expect(formatGatewayLink({ cid: ROOT, key: KEY }, 'https://gw.example/')).toBe(`https://gw.example/v/${CID_TEXT}#${KEY_TEXT}`)
    expect(formatMagnetLink({ cid: ROOT, key: KEY }, { name: 'a b.txt', size: 12 })).toBe(`magnet:?xt=urn:veil:${CID_TEXT}&dn=a%20b.txt&xl=12#${KEY_TEXT}`)
    expect(formatVerifyLink({ cid: ROOT })).toBe(`veil://${CID_TEXT}`)
  })
})

describe('parseLink accepts', () => {
  it('the canonical form, round trip', () => {
    const parsed = parseShareLink(formatLink({ cid: ROOT, key: KEY }))
    expect(parsed.cid.equals(ROOT)).toBe(true)
    expect(parsed.key).toEqual(KEY)
    expect(parsed.form).toBe('veil')
  })

  it('surrounding whitespace and an upper-case scheme', () => {
    expect(parseLink(`  VEIL://${CID_TEXT}#${KEY_TEXT}\n`).key).toEqual(KEY)
  })

  it('the gateway form, with or without a trailing slash and query hints', () => {
    for (const text of [`https://gw.example/v/${CID_TEXT}#${KEY_TEXT}`, `http://127.0.0.1:8080/v/${CID_TEXT}/?filename=x#${KEY_TEXT}`]) {
      const parsed = parseLink(text)
      expect(parsed.form).toBe('gateway')
      expect(parsed.cid.equals(ROOT)).toBe(true)
      expect(parsed.key).toEqual(KEY)
    }
  })

  it('the magnet form with its hints', () => {
    const parsed = parseLink(formatMagnetLink({ cid: ROOT, key: KEY }, { name: 'a b.txt', size: 12 }))
    expect(parsed).toMatchObject({ form: 'magnet', name: 'a b.txt', size: 12 })
    expect(parsed.key).toEqual(KEY)
  })

  it('a link without a key as a verify-only capability', () => {
    const parsed = parseLink(formatVerifyLink({ cid: ROOT }))
    expect(parsed.key).toBeUndefined()
    expect(() => parseShareLink(formatVerifyLink({ cid: ROOT }))).toThrow(expect.objectContaining({ name: 'KeyRequiredError' }))
  })
})

const raw = rawCid(new Uint8Array([1, 2, 3]))
const sha512 = CID.createV1(0x71, Digest.create(0x13, new Uint8Array(64)))
const v0 = CID.createV0(Digest.create(0x12, new Uint8Array(32)))
const longKey = encodeKey(new Uint8Array(33))
const shortKey = KEY_TEXT.slice(0, 20)

const malformed: Array<[string, string, string]> = [
  ['empty', '', 'LinkEmptyError'],
  ['only spaces', '   ', 'LinkEmptyError'],
  ['too long', `veil://${CID_TEXT}#${'A'.repeat(5000)}`, 'LinkTooLongError'],
  ['line break inside', `veil://${CID_TEXT.slice(0, 20)}\n${CID_TEXT.slice(20)}#${KEY_TEXT}`, 'LinkWhitespaceError'],
  ['space inside', `veil://${CID_TEXT} #${KEY_TEXT}`, 'LinkWhitespaceError'],
  ['unknown scheme', `ftp://${CID_TEXT}#${KEY_TEXT}`, 'LinkSchemeError'],
  ['no scheme (bare CID)', `${CID_TEXT}#${KEY_TEXT}`, 'LinkSchemeError'],
  ['scheme missing slashes', `veil:${CID_TEXT}#${KEY_TEXT}`, 'LinkSchemeError'],
  ['no CID', `veil://#${KEY_TEXT}`, 'LinkCidMissingError'],
  ['slash instead of CID', `veil:///#${KEY_TEXT}`, 'LinkCidMissingError'],
  ['base58 CID', `veil://${ROOT.toString(base58btc)}#${KEY_TEXT}`, 'LinkCidBaseError'],
  ['upper-case CID', `veil://${CID_TEXT.toUpperCase()}#${KEY_TEXT}`, 'LinkCidBaseError'],
  ['CID cut short', `veil://${CID_TEXT.slice(0, 30)}#${KEY_TEXT}`, 'LinkCidEncodingError'],
  ['CID with a bad character', `veil://${CID_TEXT.slice(0, 20)}1${CID_TEXT.slice(21)}#${KEY_TEXT}`, 'LinkCidEncodingError'],
  ['CIDv0 (IPFS hash)', `veil://${v0.toString()}#${KEY_TEXT}`, 'LinkCidVersionError'],
  ['raw block CID instead of a root', `veil://${raw.toString()}#${KEY_TEXT}`, 'LinkCidCodecError'],
  ['sha2-512 CID', `veil://${sha512.toString()}#${KEY_TEXT}`, 'LinkCidHashError'],
  ['empty key', `veil://${CID_TEXT}#`, 'LinkKeyEmptyError'],
  ['key in base64 (with + and /)', `veil://${CID_TEXT}#${KEY_TEXT.slice(0, 40)}+/A`, 'LinkKeyEncodingError'],
  ['key with padding', `veil://${CID_TEXT}#${KEY_TEXT}=`, 'LinkKeyEncodingError'],
  ['key cut short', `veil://${CID_TEXT}#${shortKey}`, 'LinkKeyLengthError'],
  ['key too long', `veil://${CID_TEXT}#${longKey}`, 'LinkKeyLengthError'],
  ['non-canonical key spelling', `veil://${CID_TEXT}#${KEY_TEXT.slice(0, -1)}p`, 'LinkKeyEncodingError'],
  ['extra path', `veil://${CID_TEXT}/file.txt#${KEY_TEXT}`, 'LinkExtraPartError'],
  ['query string', `veil://${CID_TEXT}?x=1#${KEY_TEXT}`, 'LinkExtraPartError'],
  ['gateway without /v/', `https://gw.example/ipfs/${CID_TEXT}#${KEY_TEXT}`, 'LinkGatewayPathError'],
  ['gateway with a path (not allowed by default)', `https://gw.example/v/${CID_TEXT}/x#${KEY_TEXT}`, 'LinkExtraPartError'],
  ['gateway with a path after another prefix', `https://gw.example/x/v/${CID_TEXT}#${KEY_TEXT}`, 'LinkGatewayPathError'],
  ['gateway without a host', `https:///v/${CID_TEXT}#${KEY_TEXT}`, 'LinkGatewayHostError'],
  ['gateway with empty CID', `https://gw.example/v/#${KEY_TEXT}`, 'LinkCidMissingError'],
  ['magnet without xt', `magnet:?dn=x#${KEY_TEXT}`, 'LinkMagnetTopicError'],
  ['magnet for BitTorrent', `magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a#${KEY_TEXT}`, 'LinkMagnetTopicError'],
  ['magnet with two xt', `magnet:?xt=urn:veil:${CID_TEXT}&xt=urn:veil:${CID_TEXT}#${KEY_TEXT}`, 'LinkMagnetDuplicateError'],
  ['magnet with a bad size', `magnet:?xt=urn:veil:${CID_TEXT}&xl=12kb#${KEY_TEXT}`, 'LinkMagnetSizeError'],
  ['magnet with bad percent-encoding', `magnet:?xt=urn:veil:${CID_TEXT}&dn=%E0%A4%A#${KEY_TEXT}`, 'LinkMagnetEncodingError'],
  ['magnet without "?"', `magnet:xt=urn:veil:${CID_TEXT}#${KEY_TEXT}`, 'LinkMagnetTopicError']
]

describe('parseLink rejects malformed links with a specific error', () => {
  it.each(malformed)('%s', (_label, text, name) => {
    let caught: unknown
    try {
      parseLink(text)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(Error)
    const err = caught as Error & { code: string }
    expect(err.name).toBe(name)
    expect(err.code).toMatch(/^ERR_LINK_/)
    // The message never repeats the secret fragment.
    expect(err.message).not.toContain(KEY_TEXT.slice(0, 12))
  })

  it('covers at least 20 distinct malformed inputs', () => {
    expect(malformed.length).toBeGreaterThanOrEqual(20)
    expect(new Set(malformed.map(m => m[2])).size).toBeGreaterThanOrEqual(18)
  })
})

describe('a path inside the link (veil://<cid>/photos/2024/a.jpg#<key>)', () => {
  const allow = { allowPath: true }

  it('formats and parses fixed vectors (a change here is a format change)', () => {
    const link = formatLink({ cid: ROOT, key: KEY, path: ['photos', '2024', 'a b#1%.jpg'] })
    expect(link).toBe(`veil://${CID_TEXT}/photos/2024/a%20b%231%25.jpg#${KEY_TEXT}`)
    expect(formatGatewayLink({ cid: ROOT, key: KEY, path: ['été'] }, 'https://gw.example')).toBe(`https://gw.example/v/${CID_TEXT}/%C3%A9t%C3%A9#${KEY_TEXT}`)
    expect(formatLink({ cid: ROOT, key: KEY, path: [] })).toBe(`veil://${CID_TEXT}#${KEY_TEXT}`)
    const parsed = parseShareLink(link, allow)
    expect(parsed.path).toEqual(['photos', '2024', 'a b#1%.jpg'])
    expect(parsed.cid.equals(ROOT)).toBe(true)
    expect(parsed.key).toEqual(KEY)
    expect(parseShareLink(`https://gw.example/v/${CID_TEXT}/%C3%A9t%C3%A9/?filename=x#${KEY_TEXT}`, allow).path).toEqual(['été'])
  })

  it('a trailing slash or no path gives no path', () => {
    expect(parseShareLink(`veil://${CID_TEXT}/#${KEY_TEXT}`, allow).path).toBeUndefined()
    expect(parseShareLink(`veil://${CID_TEXT}#${KEY_TEXT}`, allow).path).toBeUndefined()
    expect(parseShareLink(`veil://${CID_TEXT}/photos/#${KEY_TEXT}`, allow).path).toEqual(['photos'])
    // Without allowPath a trailing slash is still just the share.
    expect(parseShareLink(`veil://${CID_TEXT}/#${KEY_TEXT}`).path).toBeUndefined()
  })

  it.each([
    ['an empty name', `veil://${CID_TEXT}/a//b#${KEY_TEXT}`, 'LinkPathSegmentError'],
    ['"."', `veil://${CID_TEXT}/./b#${KEY_TEXT}`, 'LinkPathSegmentError'],
    ['".."', `veil://${CID_TEXT}/a/..#${KEY_TEXT}`, 'LinkPathSegmentError'],
    ['"..", encoded', `veil://${CID_TEXT}/a/%2E%2E#${KEY_TEXT}`, 'LinkPathSegmentError'],
    ['an encoded slash', `veil://${CID_TEXT}/a%2Fb#${KEY_TEXT}`, 'LinkPathSegmentError'],
    ['an encoded NUL', `veil://${CID_TEXT}/a%00#${KEY_TEXT}`, 'LinkPathSegmentError'],
    ['bad percent-encoding', `veil://${CID_TEXT}/a%E0%A4%A#${KEY_TEXT}`, 'LinkPathEncodingError'],
    ['a query after the path', `veil://${CID_TEXT}/a?x=1#${KEY_TEXT}`, 'LinkExtraPartError']
  ])('rejects %s', (_label, text, name) => {
    expect(() => parseLink(text, allow)).toThrow(expect.objectContaining({ name }))
    try { parseLink(text, allow) } catch (err) { expect((err as Error).message).not.toContain(KEY_TEXT.slice(0, 12)) }
  })
})
