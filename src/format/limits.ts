/**
 * Format v1 parameters and the hard limits every decoder checks before it
 * allocates anything. Changing a parameter is a format change: bump
 * FORMAT_VERSION and keep decoding v1.
 */

export const FORMAT_VERSION = 1

export const KiB = 1024
export const MiB = 1024 * KiB

export const DEFAULT_BLOCK_SIZE = MiB
export const MIN_BLOCK_SIZE = 64 * KiB
export const MAX_BLOCK_SIZE = 4 * MiB

/**
 * Content blocks listed by one segment node. A segment is the unit of
 * discovery and placement (one DHT record per segment, never per block): 1024
 * blocks of 1 MiB is 1 GiB per segment, and a file of up to one segment is
 * folded into its root, so a 1 GiB file costs one discovery key.
 */
export const SEGMENT_BLOCKS = 1024

/**
 * Children listed by an index node or by an unfolded root. With 1 MiB blocks
 * a root of 1024 segments covers 1 TiB in a ~42 KiB manifest; bigger files (or
 * smaller blocks) add index levels, so no manifest node ever grows past
 * MAX_MANIFEST_NODE_SIZE whatever the file size.
 */
export const TREE_FANOUT = 1024

/** Tree height limit: 1024^6 segments is far past any real file. */
export const MAX_TREE_HEIGHT = 6

/** Largest encoded manifest node (root, index or segment) a decoder accepts. */
export const MAX_MANIFEST_NODE_SIZE = 128 * KiB

/** Largest sealed metadata in a root (name, media type, sizes). */
export const MAX_META_SIZE = 8 * KiB

/** Metadata plaintext is padded to a multiple of this, so name lengths leak less. */
export const META_PAD_UNIT = 256

export const MAX_NAME_BYTES = 1024
export const MAX_MEDIA_TYPE_LENGTH = 255

/** Folder listings: bounded so `ls` can hold one in memory. */
export const MAX_FOLDER_ENTRIES = 100_000
export const MAX_FOLDER_LISTING_SIZE = 32 * MiB

/** Largest true size a share can declare (JS safe integer). */
export const MAX_SHARE_SIZE = Number.MAX_SAFE_INTEGER
