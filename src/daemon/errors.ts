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
