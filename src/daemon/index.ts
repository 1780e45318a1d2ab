/**
 * The daemon's control API server and the node operations both the daemon
 * and the CLI's temporary nodes run (the API's wire format and client are in
 * control/).
 */
export { ControlServer, isLoopbackHost, type ControlServerInit } from './server.js'
export {
  shareOp, shareWith, summarizeShare, getOp, listOp, pinOp, unpinOp, pinsOp, gcOp, renewOp, statusOp, peersOp, checkOutputPath, safeOutputName, CHECKPOINT_BLOCKS,
  type OpOptions, type ShareOpInit, type GetOpInit, type ListOpInit
} from './operations.js'
export * from './errors.js'
export { openSharePath, walkTree, type TreeEntry } from './share-path.js'
export { writeFolderTar, type TarOptions, type TarResult } from './tar-output.js'
export { publishOp, type PublishOpInit } from './publish-op.js'
