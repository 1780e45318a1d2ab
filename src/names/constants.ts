/**
 * Mutable links' limits and defaults. The record limits are part of the
 * format (docs/format.md, "Mutable links"): every DHT node and every reader
 * checks them, so changing one is a format change.
 */

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** Version of the record format. */
export const NAME_RECORD_VERSION = 1

/** Largest record, in bytes (a real one is ~260). */
export const MAX_NAME_RECORD_SIZE = 2048

/** Largest sealed value in a record. */
export const MAX_SEALED_VALUE_SIZE = 512

/** Longest validity a record may claim (signed at → valid until). */
export const MAX_NAME_VALIDITY_MS = 7 * DAY

/** How far in the future a record's signing time may be (clocks differ). */
export const NAME_CLOCK_SKEW_MS = 10 * MINUTE

/** The kad-dht key namespace of name records: keys are `/veil/` ‖ 32 bytes. */
export const NAME_NAMESPACE = 'veil'

/** A record's validity when published or re-signed. */
export const DEFAULT_NAME_VALIDITY_MS = MAX_NAME_VALIDITY_MS

/**
 * How often records are put into the DHT again (kad-dht drops a record 48 h
 * after it received it): by their publisher's running node, which also
 * re-signs a record past half its validity, and by the storage nodes that
 * hold it.
 */
export const NAME_REPUBLISH_EVERY_MS = 12 * HOUR

/** Records a storage node keeps for others: for one pusher, and in all. */
export const MAX_HELD_RECORDS_PER_PEER = 64
export const MAX_HELD_RECORDS = 4096

/** Records one peer may push to a storage node per second (bursts of four seconds' worth). */
export const NAME_PUSHES_PER_SECOND = 16

/** Deadline of one DHT look-up for a name. */
export const NAME_LOOKUP_TIMEOUT_MS = 15_000

/** Names whose newest sequence a node remembers (to refuse a record replayed from before). */
export const MAX_REMEMBERED_NAMES = 8192
