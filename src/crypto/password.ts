import { argon2id } from 'hash-wasm'
import { importAesKey, openAsync } from './async.js'
import { FILE_KEY_LENGTH } from './labels.js'
import { NONCE_LENGTH, TAG_LENGTH } from './stream-nonce.js'

/*
 * Password-protected links: the link's 32-byte key is wrapped with a key
 * derived from a password by Argon2id (RFC 9106), so the link alone does not
 * open the share. Portable: Argon2id is hash-wasm's WebAssembly (the same
 * code in Node and in the gateway page) and the wrap is WebCrypto
 * AES-256-GCM. The parameters travel in the link (docs/format.md), so they
 * are bounded here: a hostile link cannot make a reader spend gigabytes or
 * minutes on one guess.
 */

export interface Argon2Params {
  /** Memory, in KiB. */
  memoryKiB: number
  /** Passes over the memory (Argon2's t). */
  passes: number
  /** Lanes (Argon2's p). hash-wasm computes them one after another, so they add no speed, only a different result. */
  parallelism: number
}

/**
 * What `share --password` uses: 64 MiB, 3 passes, 1 lane (RFC 9106's second
 * recommendation, with one lane: a browser's WebAssembly runs one thread).
 * Measured here: ~0.3 s in Node 20 (docs/security.md has Chromium's figure).
 */
export const DEFAULT_ARGON2: Readonly<Argon2Params> = { memoryKiB: 64 * 1024, passes: 3, parallelism: 1 }

/**
 * What a link may ask for. Work is memory × passes: at most 1 GiB·pass
 * (256 MiB × 4, or 64 MiB × 16 would be refused by the pass limit), ~1.7 s
 * in Node here; at least 8 MiB, so nobody wraps a key with a trivial KDF.
 */
export const ARGON2_LIMITS = {
  minMemoryKiB: 8 * 1024,
  maxMemoryKiB: 256 * 1024,
  minPasses: 1,
  maxPasses: 10,
  minParallelism: 1,
  maxParallelism: 4,
  maxWorkKiB: 1024 * 1024
} as const

export const PASSWORD_SALT_LENGTH = 16
/** The wrapped key: 32 bytes of key and the 16-byte GCM tag. */
export const WRAPPED_KEY_LENGTH = FILE_KEY_LENGTH + TAG_LENGTH

/** Why `params` is not allowed, or undefined when it is. */
export function argon2ParamsProblem (params: Argon2Params): string | undefined {
  const { memoryKiB, passes, parallelism } = params
  const L = ARGON2_LIMITS
  if (!Number.isSafeInteger(memoryKiB) || memoryKiB < L.minMemoryKiB || memoryKiB > L.maxMemoryKiB) return `its memory (${memoryKiB} KiB) is outside ${L.minMemoryKiB}–${L.maxMemoryKiB} KiB`
  if (!Number.isSafeInteger(passes) || passes < L.minPasses || passes > L.maxPasses) return `its passes (${passes}) are outside ${L.minPasses}–${L.maxPasses}`
  if (!Number.isSafeInteger(parallelism) || parallelism < L.minParallelism || parallelism > L.maxParallelism) return `its lanes (${parallelism}) are outside ${L.minParallelism}–${L.maxParallelism}`
  if (memoryKiB * passes > L.maxWorkKiB) return `it asks for ${memoryKiB * passes} KiB·passes of work, over ${L.maxWorkKiB}`
  return undefined
}

const ZERO_NONCE = new Uint8Array(NONCE_LENGTH)
const utf8 = new TextEncoder()

/** Argon2id(password, salt) → a 32-byte key-encryption key. The password is NFC-normalised (the same text typed anywhere gives the same key). */
export async function passwordKey (password: string, salt: Uint8Array, params: Argon2Params): Promise<Uint8Array> {
  const problem = argon2ParamsProblem(params)
  if (problem !== undefined) throw new RangeError(`Argon2id parameters not allowed: ${problem}`)
  if (salt.length !== PASSWORD_SALT_LENGTH) throw new RangeError(`a password salt is ${PASSWORD_SALT_LENGTH} bytes`)
  return await argon2id({
    password: utf8.encode(password.normalize('NFC')),
    salt,
    memorySize: params.memoryKiB,
    iterations: params.passes,
    parallelism: params.parallelism,
    hashLength: 32,
    outputType: 'binary'
  })
}

/**
 * Wrap a 32-byte key under a password: AES-256-GCM with the Argon2id key,
 * bound to `aad` (the link's text of version, parameters and salt). The
 * key-encryption key is new for every salt, so a fixed nonce is safe.
 */
export async function wrapKey (key: Uint8Array, password: string, salt: Uint8Array, params: Argon2Params, aad: Uint8Array): Promise<Uint8Array> {
  if (key.length !== FILE_KEY_LENGTH) throw new RangeError(`only a ${FILE_KEY_LENGTH}-byte key can be wrapped`)
  const kek = await importAesKey(await passwordKey(password, salt, params))
  const sealed = await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv: ZERO_NONCE, additionalData: aad as Uint8Array<ArrayBuffer>, tagLength: TAG_LENGTH * 8 }, kek, key as Uint8Array<ArrayBuffer>)
  return new Uint8Array(sealed)
}

/** The key a password wraps, or undefined when the password (or anything in the link) is wrong. */
export async function unwrapKey (wrapped: Uint8Array, password: string, salt: Uint8Array, params: Argon2Params, aad: Uint8Array): Promise<Uint8Array | undefined> {
  if (wrapped.length !== WRAPPED_KEY_LENGTH) return undefined
  const kek = await importAesKey(await passwordKey(password, salt, params))
  return await openAsync(kek, ZERO_NONCE, wrapped, aad)
}
