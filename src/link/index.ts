export * from './link.js'
export * from './errors.js'
export { LIBP2P_KEY_CODE, IDENTITY_CODE, NAME_PUBLIC_KEY_LENGTH, nameCidFromPublicKey, publicKeyOfName, isNameCid } from './name-cid.js'
export { PASSWORD_PREFIX, isPasswordFragment, parsePasswordFragment, formatPasswordFragment, lockKey, unlockKey, type PasswordLock } from './password.js'
