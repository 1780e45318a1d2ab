import type { AbortOptions, ComponentLogger, Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { defaultLogger } from '@libp2p/logger'
import { deriveSubkeys, importAesKey, type CryptoKey } from '../crypto/index.js'
import { verifyBlock, decodeRoot, openRoot, checkNotExpired, type RootNode, type ShareMeta } from '../format/index.js'
import type { ShareLink } from '../link/index.js'
import type { BlockSource } from '../blockstore/index.js'

export interface OpenShareOptions extends AbortOptions {
  /** Where the export logs (`veil:export`: CIDs, counts and sizes only). Default libp2p's default logger. */
  logger?: ComponentLogger
}

/** A share whose root has been fetched, verified and unlocked with its key. */
export interface OpenedShare {
  cid: CID
  key: Uint8Array
  root: RootNode
  meta: ShareMeta
  blockKey: Uint8Array
  /** The block key as a WebCrypto key, for decrypting on the thread pool. */
  aesKey: CryptoKey
}

/**
 * Fetch the root, check it against its CID, check the key commitment (a wrong
 * key fails here, before any block is decrypted) and open the metadata; a
 * share past the expiry its sharer set is refused (ShareExpiredError).
 */
export async function openShare (link: ShareLink, source: BlockSource, options: OpenShareOptions = {}): Promise<OpenedShare> {
  const bytes = await source.get(link.cid, { ...options, segment: link.cid })
  verifyBlock(link.cid, bytes)
  const root = decodeRoot(bytes)
  const meta = checkNotExpired(openRoot(root, link.key))
  // Never log names, keys or content: only CIDs, counts and sizes.
  exportLog(options)('opened share %c: %s, %d blocks of %d bytes', link.cid, meta.kind, root.blockCount, root.blockSize)
  const { blockKey } = deriveSubkeys(link.key)
  return { cid: link.cid, key: link.key, root, meta, blockKey, aesKey: await importAesKey(blockKey) }
}

/** Read only the public part of a share's root (a verify-only capability suffices). */
export async function readRoot (cid: CID, source: BlockSource, options: AbortOptions = {}): Promise<RootNode> {
  const bytes = await source.get(cid, { ...options, segment: cid })
  verifyBlock(cid, bytes)
  return decodeRoot(bytes)
}

/** The export's log: the caller's logger, else libp2p's default. */
export function exportLog (options: OpenShareOptions): Logger {
  return (options.logger ?? defaultLogger()).forComponent('veil:export')
}
