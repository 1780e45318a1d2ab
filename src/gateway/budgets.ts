/**
 * Per-client budgets of the gateway (a client is an IP address): a request
 * rate (token bucket), swarm fetches at once, and response bytes in flight,
 * each also capped node-wide. Clients are kept in a bounded map (the least
 * recently seen goes first), so a flood of addresses cannot grow it.
 */

export interface BudgetInit {
  /** Requests per second per client, sustained. Default 200. */
  requestsPerSecond?: number
  /** Requests a client may make at once after a quiet spell. Default 400. */
  requestBurst?: number
  /** Swarm fetches (store and cache misses) per client at once. Default 8. */
  fetchesPerClient?: number
  /** Swarm fetches node-wide at once. Default 32. */
  maxFetches?: number
  /** Response bytes being sent to one client at once. Default 32 MiB. */
  bytesPerClient?: number
  /** Response bytes being sent node-wide at once. Default 256 MiB. */
  maxBytes?: number
  /** Clients tracked at once. Default 4096. */
  maxClients?: number
}

export const BUDGET_DEFAULTS: Required<BudgetInit> = {
  requestsPerSecond: 200,
  requestBurst: 400,
  fetchesPerClient: 8,
  maxFetches: 32,
  bytesPerClient: 32 * 1024 * 1024,
  maxBytes: 256 * 1024 * 1024,
  maxClients: 4096
}

interface Client {
  tokens: number
  refilled: number
  fetches: number
  bytes: number
}

/** Why a request was turned away: the client's own budget (429) or the node's (503). */
export type Refusal = { status: 429 | 503, reason: string } | undefined

export class Budgets {
  readonly limits: Required<BudgetInit>
  private readonly clients = new Map<string, Client>()
  private fetches = 0
  private bytes = 0
  /** Requests refused so far, by reason (for status and tests). */
  readonly refused = { rate: 0, fetches: 0, bytes: 0 }

  constructor (init: BudgetInit = {}, private readonly now: () => number = () => performance.now()) {
    this.limits = { ...BUDGET_DEFAULTS, ...Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)) }
  }

  get clientCount (): number { return this.clients.size }
  get fetchesInFlight (): number { return this.fetches }
  get bytesInFlight (): number { return this.bytes }

  private client (ip: string): Client {
    let client = this.clients.get(ip)
    if (client !== undefined) {
      // Move to the end: the map's order is least recently seen first.
      this.clients.delete(ip)
      this.clients.set(ip, client)
      return client
    }
    client = { tokens: this.limits.requestBurst, refilled: this.now(), fetches: 0, bytes: 0 }
    this.clients.set(ip, client)
    if (this.clients.size > this.limits.maxClients) {
      for (const [key, old] of this.clients) {
        if (this.clients.size <= this.limits.maxClients) break
        // A client with work in flight keeps its place (its counts must be released).
        if (old.fetches === 0 && old.bytes === 0) this.clients.delete(key)
        else break
      }
    }
    return client
  }

  /** Take one request from the client's rate; a refusal when it has none left. */
  request (ip: string): Refusal {
    const client = this.client(ip)
    const now = this.now()
    client.tokens = Math.min(this.limits.requestBurst, client.tokens + (now - client.refilled) * this.limits.requestsPerSecond / 1000)
    client.refilled = now
    if (client.tokens < 1) {
      this.refused.rate++
      return { status: 429, reason: `more than ${this.limits.requestsPerSecond} requests a second from this address` }
    }
    client.tokens -= 1
    return undefined
  }

  /** Reserve a swarm fetch; call the returned release exactly once. */
  fetch (ip: string): { refusal: Refusal, release: () => void } {
    const client = this.client(ip)
    if (client.fetches >= this.limits.fetchesPerClient) {
      this.refused.fetches++
      return { refusal: { status: 429, reason: `${this.limits.fetchesPerClient} blocks are already being fetched from the swarm for this address` }, release: () => {} }
    }
    if (this.fetches >= this.limits.maxFetches) {
      this.refused.fetches++
      return { refusal: { status: 503, reason: 'the gateway is fetching as many blocks from the swarm as it may' }, release: () => {} }
    }
    client.fetches++
    this.fetches++
    let released = false
    return {
      refusal: undefined,
      release: () => {
        if (released) return
        released = true
        client.fetches--
        this.fetches--
      }
    }
  }

  /** Reserve `bytes` of response in flight; call the returned release once it is sent (or abandoned). */
  send (ip: string, bytes: number): { refusal: Refusal, release: () => void } {
    const client = this.client(ip)
    // One response is always allowed to a client with nothing in flight, whatever its size.
    if (client.bytes > 0 && client.bytes + bytes > this.limits.bytesPerClient) {
      this.refused.bytes++
      return { refusal: { status: 429, reason: 'too many bytes on their way to this address' }, release: () => {} }
    }
    if (this.bytes > 0 && this.bytes + bytes > this.limits.maxBytes) {
      this.refused.bytes++
      return { refusal: { status: 503, reason: 'the gateway is sending as much as it may' }, release: () => {} }
    }
    client.bytes += bytes
    this.bytes += bytes
    let released = false
    return {
      refusal: undefined,
      release: () => {
        if (released) return
        released = true
        client.bytes -= bytes
        this.bytes -= bytes
      }
    }
  }
}
