/**
 * The browser-safe door of names/: a mutable link's record checked and its
 * value opened with WebCrypto and pure code, unchanged in Node and in the
 * gateway page. index.ts adds signing, the key store and the node's service.
 */
export * from './constants.js'
export { nameDhtKey, signedBytes, encodeNameRecord, decodeNameRecord, verifyNameRecord, compareNameRecords, NAME_DHT_KEY_LENGTH, type NameRecord, type NameRecordFields, type VerifyNameOptions } from './record.js'
export { sealNameValue, openNameValue, type NameValue } from './value.js'
