/**
 * A node's identity: its Ed25519 key, kept in the repo so the peer id
 * survives restarts. Apart from the node so `veil init` can make one without
 * loading libp2p.
 */
export { loadOrCreateIdentity, IdentityError, IDENTITY_FILE } from './identity.js'
