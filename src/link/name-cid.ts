import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'

/*
 * The name in a mutable link: a CIDv1 with the libp2p-key codec (0x72) whose
 * multihash is the identity hash of an Ed25519 public key in libp2p's
 * protobuf form — the form IPNS names and libp2p peer ids use. A link's
 * parser tells a mutable link (this) from an immutable one (a dag-cbor share
 * root) by the codec. Pure code: it runs in the gateway page too.
 */

/** Multicodec of a libp2p public key. */
export const LIBP2P_KEY_CODE = 0x72
/** Multihash code of the identity "hash" (the bytes themselves). */
export const IDENTITY_CODE = 0x00
/** Length of an Ed25519 public key. */
export const NAME_PUBLIC_KEY_LENGTH = 32

/** libp2p's protobuf PublicKey header for Ed25519: Type = 1, Data = 32 bytes. */
const ED25519_HEADER = Uint8Array.of(0x08, 0x01, 0x12, 0x20)

/** The name CID of an Ed25519 public key (32 raw bytes). */
export function nameCidFromPublicKey (publicKey: Uint8Array): CID {
  if (publicKey.length !== NAME_PUBLIC_KEY_LENGTH) throw new RangeError(`an Ed25519 public key is ${NAME_PUBLIC_KEY_LENGTH} bytes, got ${publicKey.length}`)
  const digest = new Uint8Array(ED25519_HEADER.length + publicKey.length)
  digest.set(ED25519_HEADER)
  digest.set(publicKey, ED25519_HEADER.length)
  return CID.createV1(LIBP2P_KEY_CODE, Digest.create(IDENTITY_CODE, digest))
}

/** The Ed25519 public key a name CID carries, or undefined when `cid` is not one. */
export function publicKeyOfName (cid: CID): Uint8Array | undefined {
  if (cid.version !== 1 || cid.code !== LIBP2P_KEY_CODE || cid.multihash.code !== IDENTITY_CODE) return undefined
  const digest = cid.multihash.digest
  if (digest.length !== ED25519_HEADER.length + NAME_PUBLIC_KEY_LENGTH) return undefined
  for (let i = 0; i < ED25519_HEADER.length; i++) if (digest[i] !== ED25519_HEADER[i]) return undefined
  return digest.slice(ED25519_HEADER.length)
}

/** True when `cid` names a mutable link (an Ed25519 libp2p-key CID). */
export function isNameCid (cid: CID): boolean {
  return publicKeyOfName(cid) !== undefined
}
