/** Defaults of a Veil node (VeilNodeInit and the per-call options of its methods). */

/** Where a node listens when not told. */
export const LISTEN: readonly string[] = ['/ip4/127.0.0.1/tcp/0']

/** Copies a share gets on storage nodes. */
export const SHARE_REPLICAS = 3

/** Blocks in flight per fetch (16 was no faster and peaked ~30 MB higher). */
export const FETCH_WINDOW = 8

/** How much a peer's past misbehaviour weighs against it in later fetches, per time it was caught. */
export const MISBEHAVIOUR_PENALTY = 100
