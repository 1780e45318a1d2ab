/**
 * One class per condition. Every error carries a stable `name` (checked by
 * callers) and a `code` (printed by the CLI and sent nowhere else). Messages say
 * what is wrong and what to do next, and never contain keys, plaintext or link
 * fragments.
 *
 * Wire error codes (what a peer tells us) are a separate enum in
 * `src/protocol/`; they are mapped to these classes at the edge.
 */

export class VeilError extends Error {
  readonly code: string

  constructor (message: string, code: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

// --- links -------------------------------------------------------------------

/** Base of every malformed-link error; each subclass names one defect. */
export class InvalidLinkError extends VeilError {
  override name = 'InvalidLinkError'
  constructor (message: string, code = 'ERR_INVALID_LINK') { super(message, code) }
}

// --- keys and crypto ---------------------------------------------------------

export class KeyMismatchError extends VeilError {
  override name = 'KeyMismatchError'
  constructor (message = 'the key in this link does not match the share: check that the whole link was copied, including everything after "#"') {
    super(message, 'ERR_KEY_MISMATCH')
  }
}

export class KeyRequiredError extends VeilError {
  override name = 'KeyRequiredError'
  constructor (message = 'this link has no key (it is a verify-only link): ask the sharer for the full link with "#<key>" at the end') {
    super(message, 'ERR_KEY_REQUIRED')
  }
}

/** A block failed AES-GCM authentication at its position in the share. */
export class BlockAuthenticationError extends VeilError {
  override name = 'BlockAuthenticationError'
  constructor (message: string) { super(message, 'ERR_BLOCK_AUTHENTICATION') }
}

// --- format ------------------------------------------------------------------

/** A manifest (root, segment or index node) is malformed or out of limits. */
export class InvalidManifestError extends VeilError {
  override name = 'InvalidManifestError'
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_INVALID_MANIFEST', options) }
}

export class UnsupportedVersionError extends VeilError {
  override name = 'UnsupportedVersionError'
  constructor (message: string) { super(message, 'ERR_UNSUPPORTED_VERSION') }
}

/** The block list does not match the size the manifest declares. */
export class ShareStructureError extends VeilError {
  override name = 'ShareStructureError'
  constructor (message: string) { super(message, 'ERR_SHARE_STRUCTURE') }
}

// --- block store -------------------------------------------------------------

export class BlockHashMismatchError extends VeilError {
  override name = 'BlockHashMismatchError'
  constructor (message: string) { super(message, 'ERR_BLOCK_HASH_MISMATCH') }
}

/** A stored block no longer matches its CID (disk corruption or tampering). */
export class BlockCorruptError extends VeilError {
  override name = 'BlockCorruptError'
  constructor (message: string) { super(message, 'ERR_BLOCK_CORRUPT') }
}

export class BlockNotFoundError extends VeilError {
  override name = 'BlockNotFoundError'
  constructor (message: string) { super(message, 'ERR_BLOCK_NOT_FOUND') }
}

export class BlockTooLargeError extends VeilError {
  override name = 'BlockTooLargeError'
  constructor (message: string) { super(message, 'ERR_BLOCK_TOO_LARGE') }
}

export class UnsupportedHashError extends VeilError {
  override name = 'UnsupportedHashError'
  constructor (message: string) { super(message, 'ERR_UNSUPPORTED_HASH') }
}

export class StoreClosedError extends VeilError {
  override name = 'StoreClosedError'
  constructor (message = 'the block store is closed') { super(message, 'ERR_STORE_CLOSED') }
}

// --- import / export -----------------------------------------------------------

/** The file or folder to share cannot be read as asked. */
export class InputError extends VeilError {
  override name = 'InputError'
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_INPUT', options) }
}

/** The file changed size while it was being shared. */
export class InputChangedError extends VeilError {
  override name = 'InputChangedError'
  constructor (message: string) { super(message, 'ERR_INPUT_CHANGED') }
}

/** The output path cannot be written as asked. */
export class OutputError extends VeilError {
  override name = 'OutputError'
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_OUTPUT', options) }
}

export class OutputExistsError extends VeilError {
  override name = 'OutputExistsError'
  constructor (message: string) { super(message, 'ERR_OUTPUT_EXISTS') }
}

export class InvalidRangeError extends VeilError {
  override name = 'InvalidRangeError'
  constructor (message: string) { super(message, 'ERR_INVALID_RANGE') }
}

/** A folder entry name that would escape the output folder or is not portable. */
export class UnsafeNameError extends VeilError {
  override name = 'UnsafeNameError'
  constructor (message: string) { super(message, 'ERR_UNSAFE_NAME') }
}

/** A folder share holds more than one fetch may write (entries, depth or bytes). */
export class FolderLimitError extends VeilError {
  override name = 'FolderLimitError'
  constructor (message: string) { super(message, 'ERR_FOLDER_LIMIT') }
}

export class InvalidOptionError extends VeilError {
  override name = 'InvalidOptionError'
  constructor (message: string) { super(message, 'ERR_INVALID_OPTION') }
}

// --- network -------------------------------------------------------------------

/** Nobody in the swarm answered for a share (or a unit of it). */
export class ShareNotFoundError extends VeilError {
  override name = 'ShareNotFoundError'
  constructor (message: string) { super(message, 'ERR_SHARE_NOT_FOUND') }
}

/** A node configured to fail closed was started without a swarm key. */
export class SwarmRequiredError extends VeilError {
  override name = 'SwarmRequiredError'
  constructor (message = 'this node only runs in a private swarm (VEIL_FORCE_SWARM is set) but no swarm key was given: pass --swarm-key <file> or join one with `veil swarm join <invite>`') {
    super(message, 'ERR_SWARM_REQUIRED')
  }
}

/** Unpinning a share this node has not pinned. */
export class NotPinnedError extends VeilError {
  override name = 'NotPinnedError'
  constructor (cid: string) {
    super(`${cid} is not pinned on this node, so nothing was unpinned: \`veil pins\` lists what is`, 'ERR_NOT_PINNED')
  }
}

// --- passwords, expiry and mutable links ----------------------------------------

/** A link whose key is wrapped with a password was used without one. */
export class PasswordRequiredError extends VeilError {
  override name = 'PasswordRequiredError'
  constructor (message = 'this link is protected by a password: give the password (Veil asks for it on a terminal, or reads it with --password-file <file> or from stdin)') {
    super(message, 'ERR_PASSWORD_REQUIRED')
  }
}

/** The password does not open a password-protected link. */
export class WrongPasswordError extends VeilError {
  override name = 'WrongPasswordError'
  constructor (message = 'wrong password: it does not open this link (check it, including upper and lower case, and try again)') {
    super(message, 'ERR_WRONG_PASSWORD')
  }
}

/** A share whose sealed metadata says it has expired. */
export class ShareExpiredError extends VeilError {
  override name = 'ShareExpiredError'
  constructor (readonly expiredAt: number) {
    super(`this share expired on ${new Date(expiredAt).toISOString()}: its sharer set it to expire, so Veil does not open it; ask them to share it again`, 'ERR_SHARE_EXPIRED')
  }
}

/** A mutable link's record is malformed, forged, out of date or does not belong to the link. */
export class InvalidNameRecordError extends VeilError {
  override name = 'InvalidNameRecordError'
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_INVALID_NAME_RECORD', options) }
}

/** Nobody in the swarm holds a (valid) record for a mutable link. */
export class NameNotFoundError extends VeilError {
  override name = 'NameNotFoundError'
  constructor (message = 'no node in the swarm has a valid record for this link: it was never published, or its publisher and the storage nodes holding it have been offline longer than its record lasts (7 days); ask the publisher to publish it again') {
    super(message, 'ERR_NAME_NOT_FOUND')
  }
}
