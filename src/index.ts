/**
 * Veil's library API: what the CLI, the daemon and the tests use. Types and
 * factory functions only; each folder's index.ts is its door.
 */
import './platform/index.js'

export * from './errors.js'
export {
  parseLink, parseShareLink, formatLink, formatVerifyLink, formatGatewayLink, formatMagnetLink,
  type ShareLink, type VerifyCap, type ParsedLink, type LinkForm
} from './link/index.js'
export { generateFileKey, type PaddingMode } from './crypto/index.js'
export {
  DEFAULT_BLOCK_SIZE, MIN_BLOCK_SIZE, MAX_BLOCK_SIZE, FORMAT_VERSION,
  type ShareKind, type ShareMeta, type FolderEntry
} from './format/index.js'
export { openBlockStore, MemoryBlockStore, LevelBlockStore, type BlockStore, type Block, type BlockSource, type OpenBlockStoreOptions } from './blockstore/index.js'
export {
  importFile, importFolder, importBytes,
  type ImportOptions, type ImportProgressEvents, type ShareResult, type FolderResult, type BlockSink
} from './importer/index.js'
export {
  exportShare, openShare, readShare, readFolderListing, DEFAULT_FOLDER_LIMITS, type FolderLimits,
  type ExportOptions, type ExportResult, type ExportProgressEvents, type OpenedShare
} from './exporter/index.js'
export {
  VeilNode,
  type VeilNodeInit, type NodeShareOptions, type NodeShareResult, type NodeGetOptions, type NodeGetResult, type NodeStatus
} from './node/index.js'
export { storageProtocol, type StorageInit, type StorageStatus } from './replication/index.js'
export {
  createSwarmKey, formatSwarmKeyFile, parseSwarmKeyFile, readSwarmKeyFile, writeSwarmKeyFile, swarmId,
  formatInvite, parseInvite, type SwarmKey, type Invite, type InviteInit
} from './swarm/index.js'
