/** Defaults of the fetch engine (resolved once, in the Fetcher's constructor). */

/** Attempts per block across holders before giving up. */
export const MAX_ATTEMPTS = 8

/** Requests in flight to one peer; more wait for a slot. */
export const MAX_IN_FLIGHT_PER_PEER = 16

/** Blocks asked of one peer in the same tick share one WANT, up to this many (a fetch asks for 8 at a time: see the node's fetchRefill). */
export const BLOCKS_PER_REQUEST = 8

/** DHT look-ups per unit (another starts, for new holders, when every known one failed). */
export const MAX_LOOKUPS = 4

/** First pause before asking holders that failed a block once more (doubles each round). */
export const RETRY_PAUSE_MS = 100

/** First pause before looking up a unit again when no holder was found at all (doubles each time). */
export const EMPTY_LOOKUP_PAUSE_MS = 250

/** Busy answers from a holder that cost no attempt, per block; each one after costs one. */
export const FREE_BUSY_ANSWERS = 3
