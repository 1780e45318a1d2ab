export {
  SWARM_KEY_LENGTH, SWARM_ID_BYTES, swarmId, isSwarmId, swarmProtocolPrefix, dhtProtocol, blockProtocol
} from './protocols.js'
export {
  SWARM_KEY_HEADER, SWARM_KEY_BASE16, MAX_SWARM_KEY_FILE_SIZE, createSwarmKey, formatSwarmKeyFile,
  swarmKeyFileBytes, parseSwarmKeyFile, type SwarmKey, type SwarmKeyEncoding
} from './key-file.js'
export { SWARM_KEY_FILE_MODE, readSwarmKeyFile, writeSwarmKeyFile, type WriteSwarmKeyFileOptions } from './key-file-io.js'
export {
  INVITE_PREFIX, INVITE_VERSION, MAX_INVITE_LENGTH, MAX_INVITE_ADDRESSES, MAX_INVITE_NAME_BYTES,
  formatInvite, parseInvite, type Invite, type InviteInit
} from './invite.js'
export * from './errors.js'
