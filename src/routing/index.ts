export { discoveryKey, discoveryCid } from './discovery-key.js'
export { Announcer, announcer, type AnnouncerInit, type AnnouncerComponents, type ProvideTarget } from './announcer.js'
export { findHolders, type FindHoldersOptions, type ProviderSource } from './find-holders.js'
export * from './constants.js'
