import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { isNameCid } from '../link/index.js'
import { KeyRequiredError } from '../errors.js'
import type { NameService } from '../names/index.js'

/** A link as parsed: a share's root, or a mutable link's name; with or without its key. */
export interface LinkTarget {
  cid: CID
  key?: Uint8Array
  path?: string[]
}

/** The share a link reaches now, and, for a mutable link, which version of it. */
export interface ResolvedLink extends LinkTarget {
  version?: {
    /** The mutable link's name (libp2p-key CID). */
    name: CID
    sequence: number
    signedAt: number
    validUntil: number
  }
}

/**
 * Turn a mutable link into the share it points to now (its record from the
 * DHT, checked and opened with the link's key); any other link is returned
 * as it is. A mutable link without its key cannot be resolved: the record's
 * value is sealed under it.
 */
export async function resolveLink (names: NameService, link: LinkTarget, options: AbortOptions = {}): Promise<ResolvedLink> {
  if (!isNameCid(link.cid)) return link
  if (link.key === undefined) throw new KeyRequiredError('this mutable link has no key, and only its key opens what it points to: ask for the whole link, with "#<key>" at the end')
  const resolved = await names.resolve(link.cid, link.key, options)
  return {
    cid: resolved.root,
    key: resolved.key,
    path: link.path,
    version: { name: link.cid, sequence: resolved.sequence, signedAt: resolved.signedAt, validUntil: resolved.validUntil }
  }
}
