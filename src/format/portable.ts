/**
 * The browser-safe door of format/: decoding, checking and walking a share
 * with pure functions and WebCrypto, unchanged in Node and in the gateway
 * page. index.ts re-exports it and adds the writer side and the synchronous
 * node:crypto paths. `npm run build` fails if a Node module becomes
 * reachable from here.
 */
export * from './limits.js'
export { RAW_CODE, DAG_CBOR_CODE, SHA2_256_CODE, rawCidFromDigest, digestMatches, isSupportedCid, rawCidAsync, verifyBlockAsync } from './cid-check.js'
export { decodeRoot, openRootAsync, rootAad, checkNotExpired, type RootNode, type ShareMeta, type ShareKind, type EncodedNode } from './root-open.js'
export { decodeTreeNode, decodeUnitNode, type TreeNode, type UnitNode } from './node-decode.js'
export { walkBlocks, walkTreeNodes, checkBlockLength, type BlockRef, type NodeRef, type LoadTreeNode, type WalkOptions } from './walk.js'
export { blockCountFor, treeHeightFor, blocksPerNode, childCount, V1_SHAPE, type TreeShape } from './shape.js'
export { decodeFolderListing, encodeFolderListing, checkEntryName, MAX_ENTRY_NAME_BYTES, type FolderEntry } from './folder.js'
export { visibleName, unsafeCharacter } from './names.js'
