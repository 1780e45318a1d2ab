import type { Logger } from '@libp2p/interface'
import type { RefusalLog } from './guarded-network.js'

/**
 * Counts refused inbound connections by libp2p's error name and logs each
 * one: outsiders of a private swarm (no key, another key), peers off the
 * allow-list, failed handshakes on the public network.
 */
export class RefusalCounter extends EventTarget implements RefusalLog {
  readonly byReason = new Map<string, number>()
  total = 0

  constructor (private readonly log?: Logger) {
    super()
  }

  refused (reason: string): void {
    this.total++
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1)
    this.log?.('refused an inbound connection (%s); %d refused so far', reason, this.total)
    this.dispatchEvent(new Event('refused'))
  }
}
