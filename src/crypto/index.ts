export { sha256 } from './hash.js'
export { FILE_KEY_LENGTH, generateFileKey, deriveSubkeys, commitmentMatches, convergentFileKey, type Subkeys } from './keys.js'
export { TAG_LENGTH, NONCE_LENGTH, streamNonce, sealBlock, openBlock, seal, open, syntheticNonce } from './aead.js'
export { padme, paddedLength, MIN_PADDED_SIZE, type PaddingMode } from './padding.js'
export { importAesKey, sealBlockAsync, openBlockAsync, sha256Async, type CryptoKey } from './async.js'
export { CryptoPool, CryptoPoolError, type CryptoPoolInit } from './pool.js'
// The browser-safe door (portable.ts) and what only it exported before.
export { openAsync, sealAsync, deriveSubkeysAsync, deriveKeyAsync, verifyEd25519Async, commitmentMatchesAsync } from './async.js'
export { HKDF_SALT } from './labels.js'
export { constantTimeEqual } from './labels.js'
export {
  DEFAULT_ARGON2, ARGON2_LIMITS, PASSWORD_SALT_LENGTH, WRAPPED_KEY_LENGTH, argon2ParamsProblem, passwordKey, wrapKey, unwrapKey, type Argon2Params
} from './password.js'
