export { sha256 } from './hash.js'
export { FILE_KEY_LENGTH, generateFileKey, deriveSubkeys, commitmentMatches, convergentFileKey, type Subkeys } from './keys.js'
export { TAG_LENGTH, NONCE_LENGTH, streamNonce, sealBlock, openBlock, seal, open, syntheticNonce } from './aead.js'
export { padme, paddedLength, MIN_PADDED_SIZE, type PaddingMode } from './padding.js'
