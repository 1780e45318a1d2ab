import type { PeerId } from '@libp2p/interface'

interface Stats {
  inFlight: number
  /** Smoothed throughput in bytes per millisecond. */
  rate: number
  failures: number
  /** Busy answers in a row, and until when (performance.now() ms) the peer is left alone. */
  busyStreak: number
  busyUntil: number
}

/** A busy peer is left alone this long after its first busy answer, twice as long after each next, up to MAX_BUSY_BACKOFF_MS. */
const FIRST_BUSY_BACKOFF_MS = 100
const MAX_BUSY_BACKOFF_MS = 4_000

/** A new peer is assumed to be about as fast as loopback libp2p (~100 MB/s). */
const PRIOR_RATE = 100_000
const SMOOTHING = 0.3

/**
 * Per-peer load and speed, used to send each block to the holder expected to
 * deliver it soonest: (requests in flight + 1) / smoothed throughput, so fast
 * peers get more work and slow or failing ones less.
 */
export class PeerStats {
  private readonly stats = new Map<string, Stats>()

  private of (peer: PeerId): Stats {
    const key = peer.toString()
    let stats = this.stats.get(key)
    if (stats === undefined) {
      stats = { inFlight: 0, rate: PRIOR_RATE, failures: 0, busyStreak: 0, busyUntil: 0 }
      this.stats.set(key, stats)
    }
    return stats
  }

  inFlight (peer: PeerId): number {
    return this.of(peer).inFlight
  }

  begin (peer: PeerId): void {
    this.of(peer).inFlight++
  }

  /** A block of `bytes` arrived after `ms`. */
  succeeded (peer: PeerId, bytes: number, ms: number): void {
    const stats = this.of(peer)
    stats.inFlight--
    // In-flight requests share the link: the rate per request understates the peer.
    const rate = (bytes / Math.max(ms, 0.5)) * Math.max(1, stats.inFlight + 1)
    stats.rate = stats.rate * (1 - SMOOTHING) + rate * SMOOTHING
    stats.failures = 0
    stats.busyStreak = 0
  }

  /** The peer asked us to slow down: not a failure, but leave it alone for a while that grows with each busy answer in a row. */
  busy (peer: PeerId): void {
    const stats = this.of(peer)
    stats.inFlight--
    stats.rate *= 0.8
    stats.busyUntil = performance.now() + Math.min(MAX_BUSY_BACKOFF_MS, FIRST_BUSY_BACKOFF_MS * 2 ** stats.busyStreak++)
  }

  /** Until when (performance.now() ms) the peer is left alone after busy answers. */
  busyUntil (peer: PeerId): number {
    return this.of(peer).busyUntil
  }

  failed (peer: PeerId): void {
    const stats = this.of(peer)
    stats.inFlight--
    stats.failures++
    stats.rate /= 2
  }

  /** Lower is better: expected wait for one more block from this peer. */
  cost (peer: PeerId): number {
    const stats = this.of(peer)
    return (stats.inFlight + 1) / stats.rate * (1 + stats.failures)
  }
}
