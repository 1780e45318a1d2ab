import { InvalidLinkError } from '../errors.js'

/*
 * One class per way a link can be malformed. All extend InvalidLinkError, so a
 * caller can catch "any bad link" with instanceof and tell the user exactly
 * which part to fix from the message. Messages never repeat the fragment (the
 * key), since a partial key is still secret material.
 */

export class LinkEmptyError extends InvalidLinkError {
  override name = 'LinkEmptyError'
  constructor () { super('the link is empty: paste the whole veil:// link', 'ERR_LINK_EMPTY') }
}

export class LinkTooLongError extends InvalidLinkError {
  override name = 'LinkTooLongError'
  constructor (max: number) { super(`the link is longer than ${max} characters: it is not a Veil link, or several were pasted together`, 'ERR_LINK_TOO_LONG') }
}

export class LinkWhitespaceError extends InvalidLinkError {
  override name = 'LinkWhitespaceError'
  constructor () { super('the link has a space or line break inside it: paste it as one unbroken line', 'ERR_LINK_WHITESPACE') }
}

export class LinkSchemeError extends InvalidLinkError {
  override name = 'LinkSchemeError'
  constructor (scheme: string) {
    super(`unsupported link scheme "${scheme}": a Veil link starts with veil://, magnet:?xt=urn:veil: or http(s)://<host>/v/`, 'ERR_LINK_SCHEME')
  }
}

export class LinkCidMissingError extends InvalidLinkError {
  override name = 'LinkCidMissingError'
  constructor () { super('the link has no content id after the scheme: the link was cut short, copy it again', 'ERR_LINK_CID_MISSING') }
}

export class LinkCidBaseError extends InvalidLinkError {
  override name = 'LinkCidBaseError'
  constructor () { super('the content id must be lower-case base32 (it starts with "b"): the link was altered, copy it again', 'ERR_LINK_CID_BASE') }
}

export class LinkCidEncodingError extends InvalidLinkError {
  override name = 'LinkCidEncodingError'
  constructor () { super('the content id in the link is not a valid CID (bad characters or cut short): copy the link again', 'ERR_LINK_CID_ENCODING') }
}

export class LinkCidVersionError extends InvalidLinkError {
  override name = 'LinkCidVersionError'
  constructor () { super('the content id is a CIDv0 (an IPFS hash), not a Veil share: Veil links use CIDv1', 'ERR_LINK_CID_VERSION') }
}

export class LinkCidCodecError extends InvalidLinkError {
  override name = 'LinkCidCodecError'
  constructor () { super('the content id does not name a Veil share root (dag-cbor): it may be a block id or another system\'s CID', 'ERR_LINK_CID_CODEC') }
}

export class LinkCidHashError extends InvalidLinkError {
  override name = 'LinkCidHashError'
  constructor () { super('the content id does not use SHA-256: Veil cannot verify it', 'ERR_LINK_CID_HASH') }
}

export class LinkKeyEmptyError extends InvalidLinkError {
  override name = 'LinkKeyEmptyError'
  constructor () { super('the link ends with "#" but has no key after it: the link was cut short, copy it again', 'ERR_LINK_KEY_EMPTY') }
}

export class LinkKeyEncodingError extends InvalidLinkError {
  override name = 'LinkKeyEncodingError'
  constructor () { super('the key after "#" is not base64url (only A-Z a-z 0-9 - _ are allowed): copy the link again', 'ERR_LINK_KEY_ENCODING') }
}

export class LinkKeyLengthError extends InvalidLinkError {
  override name = 'LinkKeyLengthError'
  constructor (got: number, want: number) {
    super(`the key after "#" is ${got} bytes but must be ${want}: the link was cut short or has extra characters`, 'ERR_LINK_KEY_LENGTH')
  }
}

export class LinkExtraPartError extends InvalidLinkError {
  override name = 'LinkExtraPartError'
  constructor (part: string) { super(`the link has an unexpected ${part} after the content id: remove it`, 'ERR_LINK_EXTRA_PART') }
}

export class LinkPathEncodingError extends InvalidLinkError {
  override name = 'LinkPathEncodingError'
  constructor (position: number) { super(`name ${position} of the path in the link is badly percent-encoded: write a space as %20 and a % as %25, or copy the link again`, 'ERR_LINK_PATH_ENCODING') }
}

export class LinkPathSegmentError extends InvalidLinkError {
  override name = 'LinkPathSegmentError'
  constructor (position: number, reason: string) { super(`name ${position} of the path in the link ${reason}: give one folder or file name per "/"`, 'ERR_LINK_PATH_SEGMENT') }
}

export class LinkGatewayPathError extends InvalidLinkError {
  override name = 'LinkGatewayPathError'
  constructor () { super('a gateway link must look like https://<host>/v/<cid>#<key> (or …/v/<cid>/<path inside the share>#<key>)', 'ERR_LINK_GATEWAY_PATH') }
}

export class LinkGatewayHostError extends InvalidLinkError {
  override name = 'LinkGatewayHostError'
  constructor () { super('the gateway link has no host name: it must look like https://<host>/v/<cid>#<key>', 'ERR_LINK_GATEWAY_HOST') }
}

export class LinkMagnetTopicError extends InvalidLinkError {
  override name = 'LinkMagnetTopicError'
  constructor () { super('the magnet link has no "xt=urn:veil:<cid>" parameter: it is not a Veil magnet link', 'ERR_LINK_MAGNET_TOPIC') }
}

export class LinkMagnetDuplicateError extends InvalidLinkError {
  override name = 'LinkMagnetDuplicateError'
  constructor (param: string) { super(`the magnet link has more than one "${param}" parameter: keep exactly one`, 'ERR_LINK_MAGNET_DUPLICATE') }
}

export class LinkMagnetSizeError extends InvalidLinkError {
  override name = 'LinkMagnetSizeError'
  constructor () { super('the magnet link\'s "xl" (size) is not a whole number of bytes: fix or remove it', 'ERR_LINK_MAGNET_SIZE') }
}

export class LinkMagnetEncodingError extends InvalidLinkError {
  override name = 'LinkMagnetEncodingError'
  constructor () { super('the magnet link has a badly percent-encoded parameter: copy the link again', 'ERR_LINK_MAGNET_ENCODING') }
}

export class LinkNameKeyError extends InvalidLinkError {
  override name = 'LinkNameKeyError'
  constructor () { super('the link names a public key Veil cannot use: a mutable link\'s name must be an Ed25519 key (libp2p-key CID); copy the link again', 'ERR_LINK_NAME_KEY') }
}

export class LinkMutableError extends InvalidLinkError {
  override name = 'LinkMutableError'
  constructor () { super('this is a mutable link (veil://<name>#<key>, which `veil publish` makes): it must be resolved to the share it points to first; `veil get`, `ls` and `pin` do that', 'ERR_LINK_MUTABLE') }
}

export class LinkPasswordFormatError extends InvalidLinkError {
  override name = 'LinkPasswordFormatError'
  constructor (reason: string) { super(`the password-protected key after "#" is malformed (${reason}): copy the whole link again`, 'ERR_LINK_PASSWORD_FORMAT') }
}

export class LinkPasswordVersionError extends InvalidLinkError {
  override name = 'LinkPasswordVersionError'
  constructor (version: string) { super(`the link is protected by a password in a form this Veil does not know ("${version}"): upgrade Veil`, 'ERR_LINK_PASSWORD_VERSION') }
}

export class LinkPasswordParamsError extends InvalidLinkError {
  override name = 'LinkPasswordParamsError'
  constructor (reason: string) { super(`the link asks for a password check Veil refuses to run: ${reason}; it was altered, or made by another program`, 'ERR_LINK_PASSWORD_PARAMS') }
}
