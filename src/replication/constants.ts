/** Defaults of the storage service and the share keeper (each resolved once, in its constructor). */

const HOUR = 60 * 60 * 1000

/** Copies every unit should have. */
export const REPLICAS = 3

/** The lease a pushed unit gets (and the longest a pusher may ask for). */
export const DEFAULT_LEASE_MS = 30 * 24 * HOUR

/** The lease of a segment or index node no share root was shown to list yet. */
export const PROVISIONAL_LEASE_MS = 24 * HOUR

/** A storage node's default share of its capacity for one pusher: public network, private swarm. */
export const DEFAULT_PER_PEER_SHARE = { public: 0.1, swarm: 0.5 }

/** Usage fraction past which expired units are collected. */
export const HIGH_WATERMARK = 0.9

/** Usage fraction collection brings usage back to. */
export const LOW_WATERMARK = 0.8

export const REPAIR_INTERVAL_MS = HOUR
export const SCRUB_INTERVAL_MS = 24 * HOUR
export const GC_INTERVAL_MS = HOUR

/** A push idle this long has failed; raw blocks no unit lists are kept this long. */
export const ORPHAN_GRACE_MS = 10 * 60 * 1000

/** Holder look-up and proof deadline during repair and renewal. */
export const LOOKUP_TIMEOUT_MS = 10_000

/** Renew recorded shares on a timer this often (0: never; a daemon sets it). */
export const RENEW_EVERY_MS = 0
