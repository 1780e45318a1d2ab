import { describe, it, expect } from 'vitest'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  encodeKey, formatGatewayLink, formatLink, formatLockedGatewayLink, formatLockedLink, formatPasswordFragment, isNameCid, lockKey,
  nameCidFromPublicKey, parseLink, parsePasswordFragment, publicKeyOfName, unlockKey, LIBP2P_KEY_CODE, type PasswordLock
} from '../../../src/link/index.js'
import { dagCborCid } from '../../../src/format/cid.js'
import { ARGON2_LIMITS, DEFAULT_ARGON2, passwordKey } from '../../../src/crypto/index.js'

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1)
const KEY_TEXT = encodeKey(KEY)
const PUBLIC_KEY = Uint8Array.from({ length: 32 }, (_, i) => 255 - i)
const NAME = nameCidFromPublicKey(PUBLIC_KEY)
const NAME_TEXT = NAME.toString()
const ROOT = dagCborCid(new TextEncoder().encode('veil link test vector'))
const allow = { allowName: true, allowPassword: true, allowPath: true }

describe('mutable links: veil://<libp2p-key CID of an Ed25519 key>#<key>', () => {
  it('formats a fixed name vector (a change here is a format change), the form IPNS and peer ids use', async () => {
    expect(NAME_TEXT).toBe('bafzaajaiaejcb7767x6px6xz7d37n5pu6pzpd4hp53w6z27k5huopzxf4tr6fypa')
    expect(NAME.code).toBe(LIBP2P_KEY_CODE)
    expect(publicKeyOfName(NAME)).toEqual(PUBLIC_KEY)
    // The same CID libp2p gives a peer id of that key type.
    const key = await generateKeyPair('Ed25519')
    expect(nameCidFromPublicKey(key.publicKey.raw).equals(peerIdFromPrivateKey(key).toCID())).toBe(true)
  })

  it('parses in the canonical, gateway and magnet forms, with a path, when the caller resolves names', () => {
    const link = formatLink({ cid: NAME, key: KEY })
    expect(link).toBe(`veil://${NAME_TEXT}#${KEY_TEXT}`)
    const parsed = parseLink(link, allow)
    expect(isNameCid(parsed.cid)).toBe(true)
    expect(parsed.key).toEqual(KEY)
    expect(parseLink(formatGatewayLink({ cid: NAME, key: KEY, path: ['a b'] }, 'https://gw.example'), allow).path).toEqual(['a b'])
    expect(isNameCid(parseLink(`magnet:?xt=urn:veil:${NAME_TEXT}#${KEY_TEXT}`, allow).cid)).toBe(true)
    expect(isNameCid(ROOT)).toBe(false)
  })

  it('is refused where the caller does not resolve names, and a libp2p-key CID of another key type is refused', () => {
    expect(() => parseLink(`veil://${NAME_TEXT}#${KEY_TEXT}`)).toThrow(expect.objectContaining({ name: 'LinkMutableError' }))
    const rsa = CID.createV1(LIBP2P_KEY_CODE, Digest.create(0x00, Uint8Array.of(0x08, 0x00, 0x12, 0x20, ...PUBLIC_KEY)))
    expect(() => parseLink(`veil://${rsa.toString()}#${KEY_TEXT}`, allow)).toThrow(expect.objectContaining({ name: 'LinkNameKeyError' }))
    const hashed = CID.createV1(LIBP2P_KEY_CODE, Digest.create(0x12, new Uint8Array(32)))
    expect(() => parseLink(`veil://${hashed.toString()}#${KEY_TEXT}`, allow)).toThrow(expect.objectContaining({ name: 'LinkNameKeyError' }))
  })
})

/** A lock with cheap parameters (the KDF runs in these tests). */
const CHEAP = { memoryKiB: ARGON2_LIMITS.minMemoryKiB, passes: 1, parallelism: 1 }

describe('password links: #pw1.m<KiB>t<passes>p<lanes>.<salt>.<wrapped key>', () => {
  it('matches a fixed vector: Argon2id and the wrap (a change here is a format change)', async () => {
    const salt = Uint8Array.from({ length: 16 }, (_, i) => i)
    expect(Buffer.from(await passwordKey('correct horse', salt, CHEAP)).toString('hex')).toBe('68aa6b3e6343f355586e5dd84710fb380cc542b0a47fa8a06ad81318fa48e3b3')
    const lock: PasswordLock = parsePasswordFragment(`pw1.m8192t1p1.AAECAwQFBgcICQoLDA0ODw.8aYV1VDDQfQJWvn15U2of2O2wIvOBKYiihFlwU6yFihuOJM7gbqhPznkEAhrsPeK`)
    expect(await unlockKey(lock, 'correct horse')).toEqual(KEY)
  })

  it('round-trips: lock, format, parse, unlock; the wrong password fails with WrongPasswordError', async () => {
    const lock = await lockKey(KEY, 'correct horse battery staple', CHEAP)
    const link = formatLockedLink({ cid: ROOT }, lock)
    expect(link).toMatch(/^veil:\/\/bafy\S+#pw1\.m8192t1p1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{64}$/)
    const parsed = parseLink(link, allow)
    expect(parsed.key).toBeUndefined()
    expect(parsed.lock).toBeDefined()
    expect(await unlockKey(parsed.lock!, 'correct horse battery staple')).toEqual(KEY)
    await expect(unlockKey(parsed.lock!, 'correct horse battery stapler')).rejects.toMatchObject({ name: 'WrongPasswordError' })
    // The gateway form carries the same fragment.
    expect(formatLockedGatewayLink({ cid: ROOT }, lock, 'https://gw.example/')).toBe(`https://gw.example/v/${ROOT.toString()}#${formatPasswordFragment(lock)}`)
    // The password is normalised (NFC): é typed as one or two code points opens the same lock.
    const accented = await lockKey(KEY, 'caf\u00e9 au lait', CHEAP)
    expect(await unlockKey(accented, 'cafe\u0301 au lait')).toEqual(KEY)
  })

  it('binds the parameters and salt: a link with them changed fails like a wrong password', async () => {
    const lock = await lockKey(KEY, 'pw', CHEAP)
    const text = formatPasswordFragment(lock)
    const passes = parsePasswordFragment(text.replace('t1p1', 't2p1'))
    await expect(unlockKey(passes, 'pw')).rejects.toMatchObject({ name: 'WrongPasswordError' })
    const parts = text.split('.')
    parts[2] = (parts[2]![0] === 'A' ? 'B' : 'A') + parts[2]!.slice(1)
    const salt = parsePasswordFragment(parts.join('.'))
    await expect(unlockKey(salt, 'pw')).rejects.toMatchObject({ name: 'WrongPasswordError' })
  })

  it('uses 64 MiB, 3 passes, 1 lane by default', () => {
    expect(DEFAULT_ARGON2).toEqual({ memoryKiB: 65536, passes: 3, parallelism: 1 })
  })

  const SALT = 'AAECAwQFBgcICQoLDA0ODw'
  const WRAPPED = 'A'.repeat(64)
  it.each([
    ['without the option', `veil://${ROOT.toString()}#pw1.m65536t3p1.${SALT}.${WRAPPED}`, 'PasswordRequiredError', {}],
    ['another version', `veil://${ROOT.toString()}#pw2.m65536t3p1.${SALT}.${WRAPPED}`, 'LinkPasswordVersionError', allow],
    ['gigabytes of memory', `veil://${ROOT.toString()}#pw1.m4194304t3p1.${SALT}.${WRAPPED}`, 'LinkPasswordParamsError', allow],
    ['too many passes', `veil://${ROOT.toString()}#pw1.m65536t50p1.${SALT}.${WRAPPED}`, 'LinkPasswordParamsError', allow],
    ['too much work in all', `veil://${ROOT.toString()}#pw1.m262144t5p1.${SALT}.${WRAPPED}`, 'LinkPasswordParamsError', allow],
    ['a trivial KDF', `veil://${ROOT.toString()}#pw1.m64t1p1.${SALT}.${WRAPPED}`, 'LinkPasswordParamsError', allow],
    ['too many lanes', `veil://${ROOT.toString()}#pw1.m65536t3p8.${SALT}.${WRAPPED}`, 'LinkPasswordParamsError', allow],
    ['a leading zero', `veil://${ROOT.toString()}#pw1.m065536t3p1.${SALT}.${WRAPPED}`, 'LinkPasswordFormatError', allow],
    ['a short salt', `veil://${ROOT.toString()}#pw1.m65536t3p1.${SALT.slice(2)}.${WRAPPED}`, 'LinkPasswordFormatError', allow],
    ['a non-canonical salt', `veil://${ROOT.toString()}#pw1.m65536t3p1.${SALT.slice(0, -1)}x.${WRAPPED}`, 'LinkPasswordFormatError', allow],
    ['a cut wrapped key', `veil://${ROOT.toString()}#pw1.m65536t3p1.${SALT}.${WRAPPED.slice(1)}`, 'LinkPasswordFormatError', allow],
    ['missing parameters', `veil://${ROOT.toString()}#pw1.${SALT}.${WRAPPED}`, 'LinkPasswordFormatError', allow]
  ])('refuses a password fragment %s before running any KDF', (_label, text, name, options) => {
    expect(() => parseLink(text, options)).toThrow(expect.objectContaining({ name }))
  })

  it('keeps the wrapped key out of error messages', () => {
    try { parseLink(`veil://${ROOT.toString()}#pw1.m65536t3p1.${SALT}.${WRAPPED.slice(1)}`, allow) } catch (err) {
      expect((err as Error).message).not.toContain(WRAPPED.slice(0, 20))
    }
  })
})
