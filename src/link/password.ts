import {
  DEFAULT_ARGON2, PASSWORD_SALT_LENGTH, WRAPPED_KEY_LENGTH, argon2ParamsProblem, unwrapKey, wrapKey, type Argon2Params
} from '../crypto/portable.js'
import { WrongPasswordError } from '../errors.js'
import { base64urlDecode, base64urlEncode } from './base64url.js'
import { LinkPasswordFormatError, LinkPasswordParamsError, LinkPasswordVersionError } from './errors.js'

/*
 * The fragment of a password-protected link (version 1):
 *
 *   #pw1.m<memory KiB>t<passes>p<lanes>.<salt: 16 bytes, base64url>.<wrapped key: 48 bytes, base64url>
 *   e.g. #pw1.m65536t3p1.q2vN…(22 chars).Zx0…(64 chars)
 *
 * The wrapped key is AES-256-GCM(Argon2id(password, salt, params), key),
 * bound to everything before its last "." (version, parameters, salt), so
 * changing any of them fails like a wrong password. Numbers are decimal
 * without leading zeros and every part has exactly one spelling, so a link
 * has one text. Parsing checks the parameters against ARGON2_LIMITS before
 * anything is computed.
 */

/** A key wrapped under a password, as a link carries it. */
export interface PasswordLock {
  params: Argon2Params
  salt: Uint8Array
  wrapped: Uint8Array
}

export const PASSWORD_PREFIX = 'pw'
const FRAGMENT = /^pw1\.m([1-9][0-9]{0,6})t([1-9][0-9]?)p([1-9])\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{64})$/
const utf8 = new TextEncoder()

/** True when a fragment is a password form (any version): parse it with parsePasswordFragment. */
export function isPasswordFragment (fragment: string): boolean {
  return /^pw[0-9]+\./.test(fragment)
}

export function parsePasswordFragment (fragment: string): PasswordLock {
  const version = /^(pw[0-9]+)\./.exec(fragment)?.[1]
  if (version === undefined) throw new LinkPasswordFormatError('it does not start with "pw1."')
  if (version !== 'pw1') throw new LinkPasswordVersionError(version)
  const match = FRAGMENT.exec(fragment)
  if (match === null) throw new LinkPasswordFormatError('expected pw1.m<memory>t<passes>p<lanes>.<salt>.<wrapped key>')
  const params = { memoryKiB: Number(match[1]), passes: Number(match[2]), parallelism: Number(match[3]) }
  const problem = argon2ParamsProblem(params)
  if (problem !== undefined) throw new LinkPasswordParamsError(problem)
  const salt = canonical(match[4]!, PASSWORD_SALT_LENGTH, 'salt')
  const wrapped = canonical(match[5]!, WRAPPED_KEY_LENGTH, 'wrapped key')
  return { params, salt, wrapped }
}

export function formatPasswordFragment (lock: PasswordLock): string {
  return `${header(lock)}.${base64urlEncode(lock.wrapped)}`
}

/** Wrap `key` under `password` with fresh salt: the lock a password link carries. */
export async function lockKey (key: Uint8Array, password: string, params: Argon2Params = DEFAULT_ARGON2): Promise<PasswordLock> {
  if (password.length === 0) throw new RangeError('an empty password protects nothing')
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(PASSWORD_SALT_LENGTH))
  const lock = { params: { ...params }, salt, wrapped: new Uint8Array(0) }
  return { ...lock, wrapped: await wrapKey(key, password, salt, lock.params, utf8.encode(header(lock))) }
}

/** The key a lock holds; WrongPasswordError when the password does not open it. */
export async function unlockKey (lock: PasswordLock, password: string): Promise<Uint8Array> {
  const key = await unwrapKey(lock.wrapped, password, lock.salt, lock.params, utf8.encode(header(lock)))
  if (key === undefined) throw new WrongPasswordError()
  return key
}

/** Everything the wrapped key is bound to: `pw1.m…t…p….<salt>`. */
function header (lock: PasswordLock): string {
  const { memoryKiB, passes, parallelism } = lock.params
  return `pw1.m${memoryKiB}t${passes}p${parallelism}.${base64urlEncode(lock.salt)}`
}

function canonical (text: string, length: number, what: string): Uint8Array {
  const bytes = base64urlDecode(text)
  if (bytes.length !== length || base64urlEncode(bytes) !== text) throw new LinkPasswordFormatError(`its ${what} is not ${length} bytes of canonical base64url`)
  return bytes
}
