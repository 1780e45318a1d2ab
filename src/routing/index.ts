export { discoveryKey, discoveryCid } from './discovery-key.js'
export { Announcer, type AnnouncerInit, type ProvideTarget } from './announcer.js'
export { findHolders, type FindHoldersOptions, type ProviderSource } from './find-holders.js'
