/**
 * The browser-safe door of crypto/: what runs unchanged in Node and in a
 * browser (WebCrypto and pure functions). The gateway page imports only this;
 * index.ts re-exports it and adds the node:crypto fast paths and the worker
 * pool. `npm run build` fails if a Node module becomes reachable from here.
 */
export { FILE_KEY_LENGTH, constantTimeEqual, type Subkeys } from './labels.js'
export { TAG_LENGTH, NONCE_LENGTH, streamNonce } from './stream-nonce.js'
export { padme, paddedLength, MIN_PADDED_SIZE, type PaddingMode } from './padding.js'
export {
  importAesKey, sealBlockAsync, openBlockAsync, openAsync, sealAsync, sha256Async, deriveSubkeysAsync, deriveKeyAsync, verifyEd25519Async, commitmentMatchesAsync, type CryptoKey
} from './async.js'
export {
  DEFAULT_ARGON2, ARGON2_LIMITS, PASSWORD_SALT_LENGTH, WRAPPED_KEY_LENGTH, argon2ParamsProblem, passwordKey, wrapKey, unwrapKey, type Argon2Params
} from './password.js'
