export { VeilNode, type VeilNodeInit, type NodeShareOptions, type NodeShareResult, type NodeGetOptions, type NodeGetResult, type NodeStatus, type VeilServices } from './veil-node.js'
export { loadOrCreateIdentity, IdentityError, IDENTITY_FILE } from '../identity/index.js'
export { DEFAULT_DHT_PROTOCOL } from './libp2p-options.js'
export { waitFor } from './wait.js'
