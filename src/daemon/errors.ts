import { VeilError } from '../errors.js'

/** `veil ls` was given a file's link. */
export class NotAFolderError extends VeilError {
  override name = 'NotAFolderError'
  constructor () { super('this link is a file, not a folder: fetch it with `veil get <link>`', 'ERR_NOT_A_FOLDER') }
}

/** A path inside a link that the share does not have. */
export class PathNotFoundError extends VeilError {
  override name = 'PathNotFoundError'
  constructor (message: string) { super(message, 'ERR_PATH_NOT_FOUND') }
}

/** A light client's publication whose share no storage node took: its link would point at nothing. */
export class NothingToPublishError extends VeilError {
  override name = 'NothingToPublishError'
  constructor () { super('no storage node took the share, so the link was not updated (it would point at nothing): start one with `veil node start --storage 10GiB`, or run `veil node start` to keep and serve it yourself', 'ERR_NOTHING_TO_PUBLISH') }
}
