import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

interface PendingUnit {
  /** Content blocks this peer's pushes stored for the unit (they were not held before). */
  blocks: Map<string, CID>
  /** PUTs of this unit from this peer still under way. */
  open: number
  /** Last time a PUT of this unit from this peer began or ended (ms). */
  touched: number
}

/**
 * Blocks a peer pushed for a unit whose node has not arrived yet. A unit's
 * blocks come in several PUTs and its node last, so until then they belong
 * to nothing; if the push fails (a PUT refused or cut short, or no further
 * PUT for the unit within a grace period) they are orphans, and go at once
 * instead of counting against the quota for hours.
 */
export class PendingPushes {
  private readonly units = new Map<string, PendingUnit>()

  /** A PUT of `unit` from `peer` begins. */
  begin (peer: PeerId, unit: CID, now: number): void {
    const entry = this.entry(peer, unit, now)
    entry.open++
    entry.touched = now
  }

  /** A PUT ended; `stored` are the blocks it newly stored that no held unit lists yet. */
  end (peer: PeerId, unit: CID, stored: CID[], now: number): void {
    const entry = this.entry(peer, unit, now)
    entry.open = Math.max(0, entry.open - 1)
    entry.touched = now
    for (const cid of stored) entry.blocks.set(cid.toString(), cid)
  }

  /** The unit's node is held: its blocks are referenced now, by every peer's pushes. */
  complete (unit: CID): void {
    const suffix = `/${unit.toString()}`
    for (const key of [...this.units.keys()]) if (key.endsWith(suffix)) this.units.delete(key)
  }

  /** Forget the push of `unit` from `peer` and return the blocks it left. */
  take (peer: PeerId, unit: CID): CID[] {
    const key = keyOf(peer, unit)
    const entry = this.units.get(key)
    if (entry === undefined) return []
    this.units.delete(key)
    return [...entry.blocks.values()]
  }

  /** Take every push that has had no PUT under way for `graceMs`. */
  takeIdle (now: number, graceMs: number): CID[] {
    const left: CID[] = []
    for (const [key, entry] of [...this.units]) {
      if (entry.open > 0 || now - entry.touched < graceMs) continue
      this.units.delete(key)
      left.push(...entry.blocks.values())
    }
    return left
  }

  /** Is this block part of a push still under way (it must not be collected)? */
  has (cid: CID): boolean {
    const key = cid.toString()
    for (const entry of this.units.values()) if (entry.blocks.has(key)) return true
    return false
  }

  get size (): number {
    return this.units.size
  }

  private entry (peer: PeerId, unit: CID, now: number): PendingUnit {
    const key = keyOf(peer, unit)
    let entry = this.units.get(key)
    if (entry === undefined) {
      entry = { blocks: new Map(), open: 0, touched: now }
      this.units.set(key, entry)
    }
    return entry
  }
}

function keyOf (peer: PeerId, unit: CID): string {
  return `${peer.toString()}/${unit.toString()}`
}
