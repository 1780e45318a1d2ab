import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** A block a push stored and nothing lists yet, with its size. */
export interface PendingBlock { cid: CID, size: number }

/** What one peer's push of one unit has left so far. */
export interface PendingPush { peer: string, unit: string, blocks: PendingBlock[], bytes: number }

interface Entry {
  peer: string
  unit: string
  blocks: Map<string, PendingBlock>
  bytes: number
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
  private readonly entries = new Map<string, Entry>()

  /** A PUT of `unit` from `peer` begins. */
  begin (peer: PeerId, unit: CID, now: number): void {
    const entry = this.entry(peer, unit, now)
    entry.open++
    entry.touched = now
  }

  /** A PUT ended; `stored` are the blocks it newly stored that no held unit lists yet. */
  end (peer: PeerId, unit: CID, stored: PendingBlock[], now: number): void {
    // The PUT that brought the unit node completed the unit (and cleared its entry): nothing to keep.
    if (stored.length === 0 && !this.entries.has(keyOf(peer.toString(), unit.toString()))) return
    const entry = this.entry(peer, unit, now)
    entry.open = Math.max(0, entry.open - 1)
    entry.touched = now
    for (const block of stored) {
      const key = block.cid.toString()
      if (entry.blocks.has(key)) continue
      entry.blocks.set(key, block)
      entry.bytes += block.size
    }
  }

  /** Bytes `peer`'s push of `unit` has stored so far. */
  bytesOf (peer: PeerId, unit: CID): number {
    return this.entries.get(keyOf(peer.toString(), unit.toString()))?.bytes ?? 0
  }

  /** The unit's node is held: its blocks are referenced now, whoever pushed them. Returns what was pending. */
  complete (unit: CID): PendingPush[] {
    const done: PendingPush[] = []
    const key = unit.toString()
    for (const [id, entry] of [...this.entries]) {
      if (entry.unit !== key) continue
      this.entries.delete(id)
      done.push(snapshot(entry))
    }
    return done
  }

  /** Forget the push of `unit` from `peer` and return what it left. */
  take (peer: PeerId, unit: CID): PendingPush | undefined {
    const id = keyOf(peer.toString(), unit.toString())
    const entry = this.entries.get(id)
    if (entry === undefined) return undefined
    this.entries.delete(id)
    return snapshot(entry)
  }

  /** Take every push that has had no PUT under way for `graceMs`. */
  takeIdle (now: number, graceMs: number): PendingPush[] {
    const idle: PendingPush[] = []
    for (const [id, entry] of [...this.entries]) {
      if (entry.open > 0 || now - entry.touched < graceMs) continue
      this.entries.delete(id)
      idle.push(snapshot(entry))
    }
    return idle
  }

  /** Is this block part of a push still under way (it must not be collected)? */
  has (cid: CID): boolean {
    const key = cid.toString()
    for (const entry of this.entries.values()) if (entry.blocks.has(key)) return true
    return false
  }

  get size (): number {
    return this.entries.size
  }

  private entry (peer: PeerId, unit: CID, now: number): Entry {
    const id = keyOf(peer.toString(), unit.toString())
    let entry = this.entries.get(id)
    if (entry === undefined) {
      entry = { peer: peer.toString(), unit: unit.toString(), blocks: new Map(), bytes: 0, open: 0, touched: now }
      this.entries.set(id, entry)
    }
    return entry
  }
}

function keyOf (peer: string, unit: string): string {
  return `${peer}/${unit}`
}

function snapshot (entry: Entry): PendingPush {
  return { peer: entry.peer, unit: entry.unit, blocks: [...entry.blocks.values()], bytes: entry.bytes }
}
