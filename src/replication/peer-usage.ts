import type { PeerId } from '@libp2p/interface'
import type { UnitIndex } from './unit-index.js'

/**
 * How much of a storage node each pusher uses: the bytes charged for the
 * units it brought (their new blocks and their node, kept in each unit's
 * record), plus what its pushes under way have reserved or stored so far.
 * A peer's pushes are refused once that would pass its share of the node.
 */
export class PeerUsage {
  private readonly stored = new Map<string, number>()
  private readonly reserved = new Map<string, number>()

  /** Count what every held unit was charged to whom (at start). */
  async load (index: UnitIndex): Promise<void> {
    this.stored.clear()
    for await (const { record } of index.all()) {
      if (record.owner !== undefined && record.charged > 0) add(this.stored, record.owner, record.charged)
    }
  }

  /** Bytes `peer` uses: held units charged to it, and its pushes under way. */
  of (peer: PeerId | string): number {
    const key = peer.toString()
    return (this.stored.get(key) ?? 0) + (this.reserved.get(key) ?? 0)
  }

  reserve (peer: PeerId | string, bytes: number): void { add(this.reserved, peer.toString(), bytes) }
  release (peer: PeerId | string, bytes: number): void { add(this.reserved, peer.toString(), -bytes) }
  charge (owner: string, bytes: number): void { add(this.stored, owner, bytes) }
  refund (owner: string, bytes: number): void { add(this.stored, owner, -bytes) }

  /** The `count` peers using the most, most first. */
  top (count: number): Array<{ peer: string, bytes: number }> {
    const all = new Map(this.stored)
    for (const [peer, bytes] of this.reserved) add(all, peer, bytes)
    return [...all].map(([peer, bytes]) => ({ peer, bytes })).filter(u => u.bytes > 0).sort((a, b) => b.bytes - a.bytes).slice(0, count)
  }
}

function add (map: Map<string, number>, key: string, delta: number): void {
  const value = (map.get(key) ?? 0) + delta
  if (value <= 0) map.delete(key)
  else map.set(key, value)
}
