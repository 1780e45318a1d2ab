import type { Logger } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import type { VeilServices } from './types.js'
import { joinSwarm } from './join-swarm.js'
import { pause } from './dial-failure.js'

/**
 * How long a node waits to join (dial a bootstrap peer and see the DHT learn
 * a peer) before `share`/`get` give up — or, for a long-running node, before
 * one attempt counts as failed and the next is scheduled. Sized from the
 * join times measured on a loaded 2-core machine (docs/network.md).
 */
export const DEFAULT_JOIN_TIMEOUT_MS = 30_000

export interface BootstrapKeeperInit {
  peers: string[]
  /** One attempt: dial, and wait this long for the DHT to learn a peer. Default 15 s. */
  attemptTimeoutMs?: number
  /** First pause after a failed attempt; it doubles (with ±20 % jitter) up to maxDelayMs. Default 1 s. */
  minDelayMs?: number
  /** Default 60 s. */
  maxDelayMs?: number
  dhtProtocol?: string
  log: Logger
}

export interface BootstrapStatus {
  /** The DHT knows a peer and this node has a connection. */
  joined: boolean
  attempts: number
  /** Why the last attempt failed, if it did. */
  lastError?: string
  /** When the next attempt starts (ms since the epoch), while not joined. */
  nextAttemptAt?: number
}

/**
 * A long-running node never gives up on its swarm: while it has no
 * connection or its DHT knows no peer, it joins through its bootstrap peers
 * again, pausing 1 s, 2 s, 4 s … up to 60 s (with jitter) between attempts;
 * once joined it watches for the last connection to go (a bootstrap peer
 * restarting) and starts again. A node whose bootstrap peers are down, slow
 * or speak another protocol keeps running meanwhile.
 */
export class BootstrapKeeper {
  private readonly stopping = new AbortController()
  private loop: Promise<void> | undefined
  private readonly state: BootstrapStatus = { joined: false, attempts: 0 }
  private wake: (() => void) | undefined

  constructor (private readonly libp2p: Libp2p<VeilServices>, private readonly init: BootstrapKeeperInit) {}

  /** Make the first attempt (resolving with its outcome), then keep going in the background. */
  async start (): Promise<BootstrapStatus> {
    const first = await this.attempt()
    this.loop = this.run(first)
    return { ...this.state }
  }

  async stop (): Promise<void> {
    this.stopping.abort()
    this.wake?.()
    await this.loop
  }

  status (): BootstrapStatus {
    return { ...this.state, joined: this.joined() }
  }

  private joined (): boolean {
    const table = (this.libp2p.services.dht as unknown as { routingTable?: { size: number } }).routingTable
    return this.libp2p.getConnections().length > 0 && (table?.size ?? 0) > 0
  }

  private async attempt (): Promise<boolean> {
    this.state.attempts++
    try {
      await joinSwarm(this.libp2p, this.init.peers, this.init.attemptTimeoutMs ?? 15_000, { signal: this.stopping.signal, dhtProtocol: this.init.dhtProtocol })
      this.state.joined = true
      this.state.lastError = undefined
      this.state.nextAttemptAt = undefined
      return true
    } catch (err) {
      this.state.joined = false
      this.state.lastError = (err as Error).message ?? String(err)
      return false
    }
  }

  private async run (joined: boolean): Promise<void> {
    const { log } = this.init
    const min = this.init.minDelayMs ?? 1_000
    const max = this.init.maxDelayMs ?? 60_000
    let delay = min
    const signal = this.stopping.signal
    while (!signal.aborted) {
      if (joined) {
        delay = min
        await this.untilAlone(max)
        if (signal.aborted) return
        if (this.joined()) continue
        log('lost every peer; joining through the bootstrap peers again')
      } else {
        const wait = Math.round(delay * (0.8 + Math.random() * 0.4))
        this.state.nextAttemptAt = Date.now() + wait
        log('could not join the swarm yet (%s); trying again in %d ms', this.state.lastError, wait)
        try {
          await pause(wait, signal)
        } catch {
          return
        }
        delay = Math.min(delay * 2, max)
      }
      joined = await this.attempt()
      if (joined) log('joined the swarm after %d attempts', this.state.attempts)
    }
  }

  /** Resolve when the last connection closes, or after `ms` (a periodic look), or on stop. */
  private async untilAlone (ms: number): Promise<void> {
    await new Promise<void>(resolve => {
      const check = (): void => { if (this.libp2p.getConnections().length === 0) done() }
      const done = (): void => {
        clearTimeout(timer)
        this.libp2p.removeEventListener('connection:close', check)
        this.wake = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.wake = done
      this.libp2p.addEventListener('connection:close', check)
    })
  }
}
