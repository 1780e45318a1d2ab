import { VeilError } from '../errors.js'

/** No signing key of that name in the repo. */
export class KeyNotFoundError extends VeilError {
  override name = 'KeyNotFoundError'
  constructor (name: string) { super(`there is no key named "${name}" in this repo: \`veil keys ls\` lists them, \`veil keys import\` adds one`, 'ERR_KEY_NOT_FOUND') }
}

/** A key of that name exists already. */
export class KeyExistsError extends VeilError {
  override name = 'KeyExistsError'
  constructor (name: string) { super(`a key named "${name}" already exists in this repo: import under another name with --as <name>, or pass --force to replace it (its links then stop updating from here)`, 'ERR_KEY_EXISTS') }
}

/** A key name that cannot be a file name. */
export class KeyNameError extends VeilError {
  override name = 'KeyNameError'
  constructor (name: string) { super(`"${name.slice(0, 80)}" cannot name a key: use 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit`, 'ERR_KEY_NAME') }
}

/** A key file or an exported key that does not read. */
export class KeyFileError extends VeilError {
  override name = 'KeyFileError'
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_KEY_FILE', options) }
}
