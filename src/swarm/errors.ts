import { VeilError } from '../errors.js'

/*
 * One class per way a swarm key file or an invite can be wrong. Key file and
 * invite errors share a base class each, so a caller can catch "any bad key
 * file" or "any bad invite" with instanceof and show the message, which says
 * which line or part to fix. No message ever repeats key material: not the
 * key, not a line that might be the key, not the invite's payload.
 */

// --- swarm key file contents -------------------------------------------------

/** Base of every malformed-swarm-key-file error. */
export class InvalidSwarmKeyError extends VeilError {
  override name = 'InvalidSwarmKeyError'
  constructor (message: string, code = 'ERR_INVALID_SWARM_KEY') { super(message, code) }
}

export class SwarmKeyEmptyError extends InvalidSwarmKeyError {
  override name = 'SwarmKeyEmptyError'
  constructor () {
    super('the swarm key file is empty: copy the swarm\'s key file again, or create a new swarm with `veil swarm create`', 'ERR_SWARM_KEY_EMPTY')
  }
}

export class SwarmKeyTooLargeError extends InvalidSwarmKeyError {
  override name = 'SwarmKeyTooLargeError'
  constructor (size: number, max: number) {
    super(`the swarm key file is ${size} bytes, over the ${max}-byte limit: a swarm.key file is 3 short lines, check that you chose the right file`, 'ERR_SWARM_KEY_TOO_LARGE')
  }
}

export class SwarmKeyHeaderError extends InvalidSwarmKeyError {
  override name = 'SwarmKeyHeaderError'
  constructor (expected: string, hint = '') {
    super(`line 1 of the swarm key file must be exactly ${expected}${hint}: this is not a swarm.key file, or it was damaged`, 'ERR_SWARM_KEY_HEADER')
  }
}

export class SwarmKeyEncodingError extends InvalidSwarmKeyError {
  override name = 'SwarmKeyEncodingError'
  /** `found` is a safe description of line 2 (never its raw text when that could be the key). */
  constructor (found: string) {
    super(`line 2 of the swarm key file ${found}: it must be /base16/ (or /base64/ or /bin/, which kubo also reads)`, 'ERR_SWARM_KEY_ENCODING')
  }
}

export class SwarmKeyLengthError extends InvalidSwarmKeyError {
  override name = 'SwarmKeyLengthError'
  constructor (found: number, expected: number, unit: string) {
    super(`line 3 of the swarm key file has ${found} ${unit} but must have exactly ${expected}, all on that one line: the key was cut short or has extra characters, copy the file again`, 'ERR_SWARM_KEY_LENGTH')
  }
}

export class SwarmKeyCharacterError extends InvalidSwarmKeyError {
  override name = 'SwarmKeyCharacterError'
  constructor (encoding: 'base16' | 'base64', column: number) {
    const allowed = encoding === 'base16' ? 'hex digits (0-9, a-f)' : 'base64 characters (A-Z a-z 0-9 + / and "=" at the end)'
    super(`line 3 of the swarm key file has a character that is not allowed at column ${column}: the key must be only ${allowed}`, 'ERR_SWARM_KEY_CHARACTER')
  }
}

export class SwarmKeyExtraLineError extends InvalidSwarmKeyError {
  override name = 'SwarmKeyExtraLineError'
  /** `line` is 1-based; 0 means extra bytes after a /bin/ key, which has no lines. */
  constructor (line: number) {
    super(line > 0
      ? `line ${line} of the swarm key file should not be there: a swarm.key file has exactly 3 lines (header, encoding, key), remove everything after line 3`
      : 'the swarm key file has extra data after the 32-byte binary key: remove it', 'ERR_SWARM_KEY_EXTRA_LINE')
  }
}

export class SwarmKeyBinaryTextError extends InvalidSwarmKeyError {
  override name = 'SwarmKeyBinaryTextError'
  constructor () {
    super('the swarm key file uses the /bin/ encoding, which must be read as raw bytes, not text: pass the file\'s bytes (readSwarmKeyFile does this)', 'ERR_SWARM_KEY_BINARY_TEXT')
  }
}

// --- swarm key file on disk --------------------------------------------------

export class SwarmKeyNotFoundError extends VeilError {
  override name = 'SwarmKeyNotFoundError'
  constructor (path: string) {
    super(`no swarm key at ${path}: create one with \`veil swarm create\` or copy the swarm's key file there`, 'ERR_SWARM_KEY_NOT_FOUND')
  }
}

export class SwarmKeyAccessError extends VeilError {
  override name = 'SwarmKeyAccessError'
  constructor (path: string, action: 'read' | 'write', options?: ErrorOptions) {
    super(action === 'read'
      ? `permission denied reading the swarm key at ${path}: run Veil as the file's owner, or fix its owner (it should be readable by you only: chmod 600)`
      : `permission denied writing the swarm key at ${path}: choose a folder you own`, 'ERR_SWARM_KEY_ACCESS', options)
  }
}

export class SwarmKeyNotAFileError extends VeilError {
  override name = 'SwarmKeyNotAFileError'
  constructor (path: string) {
    super(`${path} is a folder or a special file, not a swarm key file: give the path of the swarm.key file itself`, 'ERR_SWARM_KEY_NOT_A_FILE')
  }
}

export class SwarmKeyExistsError extends VeilError {
  override name = 'SwarmKeyExistsError'
  constructor (path: string) {
    super(`there is already a swarm key at ${path}: replacing it cuts this node off from its current swarm, so move it away first or ask to overwrite explicitly`, 'ERR_SWARM_KEY_EXISTS')
  }
}

/** Any other I/O failure; the system error is the `cause`. */
export class SwarmKeyFileError extends VeilError {
  override name = 'SwarmKeyFileError'
  constructor (path: string, action: 'read' | 'write', reason: string, options?: ErrorOptions) {
    super(`could not ${action} the swarm key at ${path}: ${reason}`, 'ERR_SWARM_KEY_FILE', options)
  }
}

// --- invites -----------------------------------------------------------------

/** Base of every malformed-invite error. */
export class InvalidInviteError extends VeilError {
  override name = 'InvalidInviteError'
  constructor (message: string, code = 'ERR_INVALID_INVITE') { super(message, code) }
}

export class InviteEmptyError extends InvalidInviteError {
  override name = 'InviteEmptyError'
  constructor () { super('the invite is empty: paste the whole veil-invite: line', 'ERR_INVITE_EMPTY') }
}

export class InviteTooLongError extends InvalidInviteError {
  override name = 'InviteTooLongError'
  constructor (length: number, max: number) {
    super(`the invite is ${length} characters, over the ${max}-character limit: it is not a Veil invite, several were pasted together, or it lists too many addresses`, 'ERR_INVITE_TOO_LONG')
  }
}

export class InvitePrefixError extends InvalidInviteError {
  override name = 'InvitePrefixError'
  constructor (hint: string) { super(`this is not a swarm invite: an invite starts with veil-invite:${hint}`, 'ERR_INVITE_PREFIX') }
}

export class InviteWhitespaceError extends InvalidInviteError {
  override name = 'InviteWhitespaceError'
  constructor () { super('the invite has a space or line break inside it: it was wrapped when copied, join it back into one unbroken line', 'ERR_INVITE_WHITESPACE') }
}

export class InviteVersionError extends InvalidInviteError {
  override name = 'InviteVersionError'
  constructor (version: string) {
    super(`unsupported invite version ${version}: this Veil reads v1 invites; update Veil, or ask for a new invite`, 'ERR_INVITE_VERSION')
  }
}

export class InviteEncodingError extends InvalidInviteError {
  override name = 'InviteEncodingError'
  constructor (column: number) {
    super(`the invite has a character that is not allowed at position ${column}: after veil-invite:v1: only A-Z a-z 0-9 - _ may appear, copy the whole line again`, 'ERR_INVITE_ENCODING')
  }
}

export class InviteChecksumError extends InvalidInviteError {
  override name = 'InviteChecksumError'
  constructor () { super('the invite was cut short or altered: copy the whole line again', 'ERR_INVITE_CHECKSUM') }
}

/** The checksum matched but the content is not a valid v1 invite (a buggy or foreign encoder). */
export class InviteMalformedError extends InvalidInviteError {
  override name = 'InviteMalformedError'
  constructor (detail: string) {
    super(`the invite is not a valid v1 invite (${detail}): ask for a new invite made with \`veil swarm invite\``, 'ERR_INVITE_MALFORMED')
  }
}

export class InviteNoBootstrapError extends InvalidInviteError {
  override name = 'InviteNoBootstrapError'
  constructor () {
    super('the invite has no bootstrap address, so there is no peer to join through: an invite needs at least one /…/p2p/<peer id> address of a swarm member', 'ERR_INVITE_NO_BOOTSTRAP')
  }
}

export class InviteTooManyAddressesError extends InvalidInviteError {
  override name = 'InviteTooManyAddressesError'
  constructor (count: number, max: number) {
    super(`the invite has ${count} bootstrap addresses, more than the ${max} allowed: keep a few well-connected members`, 'ERR_INVITE_TOO_MANY_ADDRESSES')
  }
}

export class InviteAddressError extends InvalidInviteError {
  override name = 'InviteAddressError'
  /** `index` is 0-based; the message counts from 1. `address` is shown (addresses are not secret). */
  constructor (index: number, address: string, reason: string) {
    super(`bootstrap address ${index + 1} (${address}) ${reason}: use a full multiaddr such as /ip4/203.0.113.7/tcp/4001/p2p/12D3KooW…`, 'ERR_INVITE_ADDRESS')
  }
}

export class InviteNameError extends InvalidInviteError {
  override name = 'InviteNameError'
  constructor (reason: string) { super(`the swarm name in the invite ${reason}`, 'ERR_INVITE_NAME') }
}
