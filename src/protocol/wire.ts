/**
 * Wire codes of the block exchange protocol. They are what a peer tells us,
 * kept apart from local errors (src/errors.ts) and mapped to them at the edge
 * (see client.ts), so a remote peer can never make us throw an arbitrary
 * local error class or message.
 */

/** Why a pushed block was refused. */
export enum RefuseCode {
  /** The node is over its storage quota: try the next closest node. */
  Quota = 1,
  /** The node is not a storage node (or not accepting pushes now). */
  NotAccepting = 2,
  /** The block is larger than the protocol allows. */
  TooLarge = 3,
  /** The bytes do not match the CID. */
  Invalid = 4,
  /** The node's disk is full. */
  DiskFull = 5,
  /** Something went wrong on the node. */
  Internal = 6,
  /** The node has too many pushes in flight: retry the same PUT shortly. */
  Busy = 7,
  /** The pusher has used up its share of this node: try the next closest node. */
  PeerQuota = 8,
  /**
   * Only in a chained PUT's hop list: the forwarding node could not reach
   * this next node, or lost it during the PUT (it died, reset the stream,
   * broke the protocol, took too long, or does not forward chained PUTs).
   */
  Unreachable = 9
}

/** Why a whole request failed (the stream ends after it). */
export enum ErrorCode {
  BadRequest = 1,
  /** Too many concurrent streams or requests from this peer. */
  Limit = 2,
  Internal = 3,
  Unsupported = 4
}

export function refuseCodeName (code: number): string {
  return RefuseCode[code] ?? `unknown (${code})`
}

export function errorCodeName (code: number): string {
  return ErrorCode[code] ?? `unknown (${code})`
}
