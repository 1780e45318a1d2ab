/**
 * `veil publish`: share a file or folder, then point a mutable link at it
 * (the daemon runs this for its control API, the CLI on a temporary node).
 */
import { checkKeyName } from '../names/index.js'
import type { VeilNode } from '../node/index.js'
import { isoTime, type PublishSummary } from '../control/index.js'
import { shareWith, summarizeShare, type OpOptions, type ShareOpInit } from './operations.js'
import { NothingToPublishError } from './errors.js'

export interface PublishOpInit extends Omit<ShareOpInit, 'expires'> {
  /** The key's name in the repo (made on first use); publishing under it again updates the link. */
  name: string
}

export async function publishOp (node: VeilNode, init: PublishOpInit, options: OpOptions = {}): Promise<PublishSummary> {
  const name = checkKeyName(init.name)
  const result = await shareWith(node, init, options)
  // A light client keeps no copy: a share nobody took must not become the link's newest version.
  if (!init.keepLocal && result.replicas === 0) throw new NothingToPublishError()
  const published = await node.names.publish(name, { root: result.cid, key: result.key }, { holders: result.rootHolders, signal: options.signal })
  return {
    link: published.link,
    name,
    sequence: published.sequence,
    created: published.created,
    validUntil: isoTime(published.validUntil)!,
    dhtPeers: published.dhtPeers,
    recordHolders: published.holders,
    share: summarizeShare(result, undefined)
  }
}
