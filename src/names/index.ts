/**
 * Mutable links (`veil publish`): the record format and its checks
 * (portable.ts, also the gateway page's), signing, the repo's key store,
 * and the node's name service.
 */
export * from './constants.js'
export { nameDhtKey, signedBytes, encodeNameRecord, decodeNameRecord, verifyNameRecord, compareNameRecords, NAME_DHT_KEY_LENGTH, type NameRecord, type NameRecordFields, type VerifyNameOptions } from './record.js'
export { sealNameValue, openNameValue, type NameValue } from './value.js'
export { generateSeed, publicKeyFromSeed, signNameRecord, SEED_LENGTH } from './signing.js'
export { KeyStore, checkKeyName, nameLink, parseExport, KEYS_DIR, KEY_EXPORT_PREFIX, type NameKey, type NameKeyInfo } from './key-store.js'
export * from './errors.js'
export { SeenSequences, nameDhtRecords, nameRecordValidator, nameRecordSelector, isOlder } from './dht-records.js'
export { HeldRecords, type HeldRecord } from './held-records.js'
export { NameService, nameService, type NameServiceInit, type NameServiceComponents, type PublishResult, type ResolvedName } from './name-service.js'
