/**
 * Defaults of the block exchange service and its server (each resolved once,
 * in the constructor of the service that uses it).
 */
import { blockProtocol } from '../swarm/index.js'

/** The block exchange's protocol id on the public network (a private swarm scopes it). */
export const DEFAULT_BLOCK_PROTOCOL = blockProtocol()

/** Streams one peer may have open with a node at once. */
export const MAX_STREAMS_PER_PEER = 64

/**
 * Inbound streams per connection libp2p lets through beyond
 * MAX_STREAMS_PER_PEER: a peer over the server's limit gets a polite "busy"
 * answer it can wait on, not a reset it takes for a failure.
 */
export const INBOUND_STREAM_HEADROOM = 16

/** Outgoing streams of the protocol per connection. */
export const MAX_OUTBOUND_STREAMS = 64

/** Deadline for each frame a node waits for. */
export const READ_TIMEOUT_MS = 10_000

/** Deadline for each frame a node sends. */
export const WRITE_TIMEOUT_MS = 30_000

/** Bytes one PUT may carry. */
export const MAX_PUT_BYTES = 16 * 1024 * 1024

/** PUT bytes all peers together may have on their way to a node (admitted, not yet stored). */
export const MAX_BUFFERED_PUT_BYTES = 64 * 1024 * 1024

/** Slowest rate a request may go at (bytes/s): sets each request's whole deadline. */
export const MIN_REQUEST_RATE = 256 * 1024

/** Bytes one peer's WANTs may make a node read per second (a 4-second burst). */
export const WANT_BYTES_PER_SECOND = 128 * 1024 * 1024

/** Bytes one peer's PROVEs may make a node read and hash per second (a 4-second burst). */
export const PROVE_BYTES_PER_SECOND = 16 * 1024 * 1024

/** Proofs worked out at once, node-wide: each holds a block in memory while it is hashed. */
export const PROOFS_AT_ONCE = 4

/** NAME requests (a mutable link's record pushed to a storage node) one peer may make per second (a 4-second burst). */
export const NAMES_PER_SECOND = 16

/** Chained PUTs one peer may have a node forward at once (each holds a stream to the next node). */
export const FORWARDS_PER_PEER = 8

/** Bytes of chained PUTs one peer may have a node forward per second (a 4-second burst). */
export const FORWARD_BYTES_PER_SECOND = 128 * 1024 * 1024
