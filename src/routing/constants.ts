/** Defaults of announcing and finding holders. */

/** Re-announce every held unit this often, well inside a provider record's 48 h lifetime. */
export const REANNOUNCE_INTERVAL_MS = 12 * 60 * 60 * 1000

/** Announcements running at once. */
export const ANNOUNCE_CONCURRENCY = 4

/** Deadline for one announcement. */
export const ANNOUNCE_TIMEOUT_MS = 60_000

/** A holder look-up stops once this many distinct holders have answered. */
export const ENOUGH_HOLDERS = 3

/** A holder look-up gives up after this long. */
export const LOOKUP_TIMEOUT_MS = 15_000
