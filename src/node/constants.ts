/** Defaults of a Veil node (VeilNodeInit and the per-call options of its methods). */

/** Where a node listens when not told. */
export const LISTEN: readonly string[] = ['/ip4/127.0.0.1/tcp/0']

/** Copies a share gets on storage nodes. */
export const SHARE_REPLICAS = 3

/**
 * Blocks in flight per fetch. With the window refilled one block at a time
 * every block went out on a WANT (a stream) of its own, and 16 was no
 * faster than 8; refilled half a window at a time (fetchRefill), 8 blocks
 * share a WANT and the fetcher spends ~10 % less CPU per MiB (docs/benchmarks.md).
 */
export const FETCH_WINDOW = 16

/** Blocks asked for at once as a fetch's window frees up: half the window (blocks asked together share WANTs). */
export function fetchRefill (window: number): number {
  return Math.max(1, Math.floor(window / 2))
}

/** How much a peer's past misbehaviour weighs against it in later fetches, per time it was caught. */
export const MISBEHAVIOUR_PENALTY = 100
