/**
 * Work budgets for what peers ask of a node: per-key token buckets. A key
 * earns `ratePerSecond` tokens a second, up to `burst`. Work is charged once
 * done (a block's size is known only when it is read), so a bucket may go
 * into debt; a key in debt is refused new work — answered "busy" — until it
 * has earned its way back. Honest peers never notice: their requests fit the
 * rate; a peer asking for the same block a thousand times a second does.
 */
export class WorkBudget {
  private readonly buckets = new Map<string, { tokens: number, at: number }>()

  constructor (
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now()
  ) {}

  /** May `key` start more work now? */
  allows (key: string): boolean {
    return this.refill(key).tokens > 0
  }

  /** `key` just did `amount` of work. */
  charge (key: string, amount: number): void {
    this.refill(key).tokens -= amount
  }

  private refill (key: string): { tokens: number, at: number } {
    const now = this.now()
    let bucket = this.buckets.get(key)
    if (bucket === undefined) {
      if (this.buckets.size >= 4096) this.forgetFull(now)
      bucket = { tokens: this.burst, at: now }
      this.buckets.set(key, bucket)
      return bucket
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) / 1000 * this.ratePerSecond)
    bucket.at = now
    return bucket
  }

  /** Drop buckets that have refilled: a new one starts full anyway (keeps memory bounded). */
  private forgetFull (now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) / 1000 * this.ratePerSecond >= this.burst) this.buckets.delete(key)
    }
  }
}

/**
 * A node-wide cap on bytes that admitted requests may still bring in (PUTs
 * whose blocks are on their way): `reserve` fails rather than go past it.
 */
export class ByteReservoir {
  private used = 0

  constructor (readonly capacity: number) {}

  reserve (bytes: number): boolean {
    if (this.used + bytes > this.capacity) return false
    this.used += bytes
    return true
  }

  release (bytes: number): void {
    this.used = Math.max(0, this.used - bytes)
  }

  get reserved (): number {
    return this.used
  }
}
