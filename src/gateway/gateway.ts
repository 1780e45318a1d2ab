import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AbortOptions, ComponentLogger, Logger, Startable } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { verifyBlockAsync } from '../format/index.js'
import { NameRecordCache } from './name-cache.js'
import { Budgets, type BudgetInit, type Refusal } from './budgets.js'
import { BlockCache } from './cache.js'
import { loadAssets, type Asset, type PageAssets } from './assets.js'
import { GatewayListenError } from './errors.js'
import { logPath, route, type Route } from './routes.js'

/**
 * The HTTP gateway (`veil node start --gateway <host:port>`): serves the
 * page at /v/<cid> and ciphertext blocks at /block/<cid>, nothing else. It
 * never receives a key (links carry it in the #fragment, which browsers do
 * not send) and logs only the route and the CID, never a query or a path
 * inside a share. Blocks come from the node's store, else from the swarm on
 * demand, and each is checked against its CID before it is served.
 */

export interface GatewayInit extends BudgetInit {
  /** Address to listen on. Default 127.0.0.1. */
  host?: string
  /** Port; 0 picks a free one. Default 0. */
  port?: number
  /** Verified swarm blocks kept in memory, in bytes. Default 64 MiB. */
  cacheBytes?: number
  /** One swarm fetch's deadline. Default 30 s. */
  fetchTimeoutMs?: number
  /** Units whose holders are remembered (one fetch engine each). Default 64. */
  maxUnits?: number
  /** Where the built page is (dist/web). */
  assetsDir?: string
  /** Told of every request once answered (the request log: route and CID only). */
  onRequest?: (entry: RequestLogEntry) => void
}

export interface RequestLogEntry {
  method: string
  /** `/v/<cid>`, `/block/<cid>`, `/_veil/<file>`, or `-` for any other path (never logged as sent). */
  path: string
  status: number
  bytes: number
  ms: number
}

/** A source of blocks by CID; `segment` names the manifest node that lists the block. */
export interface GatewayBlockSource {
  get: (cid: CID, options?: AbortOptions & { segment?: CID }) => Promise<Uint8Array>
}

export interface GatewayComponents {
  /** The node's own blocks. */
  store: { has: (cid: CID, options?: AbortOptions) => Promise<boolean>, get: (cid: CID, options?: AbortOptions) => Promise<Uint8Array> }
  /** A fresh fetch engine (the node's), used per unit. */
  fetcher: () => GatewayBlockSource
  /**
   * The newest valid record of a mutable link's name, as the DHT holds it
   * (opaque to the gateway: its value is sealed under the link's key, which
   * only the page has); undefined when there is none. Absent: /name/ is 404.
   */
  names?: (name: CID, options: AbortOptions) => Promise<Uint8Array | undefined>
  logger: ComponentLogger
}

export interface GatewayStatus {
  url: string | undefined
  clients: number
  fetchesInFlight: number
  bytesInFlight: number
  cacheBytes: number
  refused: { rate: number, fetches: number, bytes: number }
}

const SECURITY_HEADERS: Record<string, string> = {
  // 'wasm-unsafe-eval' lets the page compile WebAssembly (Argon2id for password links), and nothing else: no eval.
  'Content-Security-Policy': "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; connect-src 'self'; worker-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'SAMEORIGIN',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin'
}

const IMMUTABLE = 'public, max-age=31536000, immutable'

export class Gateway implements Startable {
  private readonly log: Logger
  private readonly init: GatewayInit
  readonly budgets: Budgets
  private readonly cache: BlockCache
  private readonly fetchers = new Map<string, GatewayBlockSource>()
  private readonly inflight = new Map<string, Promise<Uint8Array>>()
  private readonly records = new NameRecordCache()
  private server: Server | undefined
  private assets: PageAssets | undefined
  private shutdown = new AbortController()
  private address: string | undefined

  constructor (private readonly components: GatewayComponents, init: GatewayInit = {}) {
    this.log = components.logger.forComponent('veil:gateway')
    this.init = { host: '127.0.0.1', port: 0, cacheBytes: 64 * 1024 * 1024, fetchTimeoutMs: 30_000, maxUnits: 64, ...init }
    this.budgets = new Budgets(init)
    this.cache = new BlockCache(this.init.cacheBytes!)
  }

  /** `http://host:port/` once started. */
  get url (): string | undefined { return this.address }

  status (): GatewayStatus {
    return {
      url: this.address,
      clients: this.budgets.clientCount,
      fetchesInFlight: this.budgets.fetchesInFlight,
      bytesInFlight: this.budgets.bytesInFlight,
      cacheBytes: this.cache.bytes,
      refused: { ...this.budgets.refused }
    }
  }

  async start (): Promise<void> {
    if (this.server !== undefined) return
    this.assets = await loadAssets(this.init.assetsDir)
    this.shutdown = new AbortController()
    const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000, maxHeaderSize: 8192 }, (req, res) => { this.handle(req, res) })
    server.maxConnections = 1024
    server.maxHeadersCount = 64
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new GatewayListenError(err.code === 'EADDRINUSE'
          ? `the gateway address ${this.init.host!}:${this.init.port!} is in use: choose another port (0 picks a free one)`
          : `the gateway cannot listen on ${this.init.host!}:${this.init.port!}: ${err.message}`, { cause: err }))
      })
      server.listen(this.init.port, this.init.host, () => { resolve() })
    })
    server.on('error', err => { this.log.error('gateway server error: %e', err) })
    this.server = server
    const { address, port } = server.address() as AddressInfo
    this.address = `http://${address.includes(':') ? `[${address}]` : address}:${port}/`
    this.log('serving on %s', this.address)
  }

  async stop (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    this.shutdown.abort()
    await new Promise<void>(resolve => {
      server.close(() => { resolve() })
      server.closeAllConnections()
    })
    this.fetchers.clear()
    this.address = undefined
  }

  private handle (req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now()
    const url = req.url ?? '/'
    let r: Route | undefined
    let sent = 0
    if (this.log.enabled || this.init.onRequest !== undefined) {
      res.on('close', () => {
        const entry = { method: req.method ?? '-', path: logPath(r ?? route(url), url), status: res.statusCode, bytes: sent, ms: Math.round(performance.now() - started) }
        this.log('%s %s %d %d B %d ms', entry.method, entry.path, entry.status, entry.bytes, entry.ms)
        this.init.onRequest?.(entry)
      })
    }
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value)
    // The rate first: a refused request costs no parsing.
    const ip = req.socket.remoteAddress ?? 'unknown'
    const refused = this.budgets.request(ip)
    if (refused !== undefined) { this.refuse(res, refused); return }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD')
      res.setHeader('Connection', 'close')
      this.text(res, 405, 'only GET and HEAD are served here')
      return
    }
    r = route(url)
    const head = req.method === 'HEAD'
    const send = (status: number, body: Uint8Array, headers: Record<string, string>): void => {
      res.writeHead(status, { ...headers, 'Content-Length': String(body.length) })
      if (head) { res.end(); return }
      sent = body.length
      res.end(body)
    }

    switch (r.kind) {
      case 'page':
        if (r.cid === undefined) { this.text(res, 400, 'this is not the address of a Veil share: a link looks like /v/<CIDv1 of a share root>#<key>'); return }
        this.asset(req, this.assets!.page, send, 'no-cache')
        return
      case 'asset':
        this.asset(req, this.assets![r.asset], send, 'no-cache')
        return
      case 'block':
        if (r.cid === undefined || r.unit === undefined) { this.text(res, 400, 'Veil serves only blocks it can verify: CIDv1, raw or dag-cbor, sha2-256 (and ?in= a dag-cbor CID)'); return }
        void this.block(req, res, ip, r.cid, r.unit ?? undefined, send)
        return
      case 'name':
        if (r.cid === undefined) { this.text(res, 400, 'not the name of a mutable link: /name/<CIDv1 libp2p-key of an Ed25519 key>'); return }
        void this.name(res, ip, r.cid, send)
        return
      case 'favicon':
        send(204, new Uint8Array(0), { 'Cache-Control': 'public, max-age=86400' })
        return
      default:
        // No listing, no index: a path that is not a share, a block or the page's files is not found.
        this.text(res, 404, 'not found: open a Veil link (/v/<cid>#<key>)')
    }
  }

  private asset (req: IncomingMessage, asset: Asset, send: (status: number, body: Uint8Array, headers: Record<string, string>) => void, cache: string): void {
    if (req.headers['if-none-match'] === asset.etag) { send(304, new Uint8Array(0), { ETag: asset.etag, 'Cache-Control': cache }); return }
    send(200, asset.body, { 'Content-Type': asset.type, ETag: asset.etag, 'Cache-Control': cache })
  }

  private async block (req: IncomingMessage, res: ServerResponse, ip: string, cid: CID, unit: CID | undefined, send: (status: number, body: Uint8Array, headers: Record<string, string>) => void): Promise<void> {
    const etag = `"${cid.toString()}"`
    if (req.headers['if-none-match'] === etag) { send(304, new Uint8Array(0), { ETag: etag, 'Cache-Control': IMMUTABLE }); return }
    let bytes: Uint8Array | undefined
    try {
      bytes = await this.read(ip, cid, unit)
    } catch (err) {
      const name = (err as Error).name
      if (name === 'GatewayRefusal') { this.refuse(res, (err as GatewayRefusal).refusal); return }
      if (this.shutdown.signal.aborted) { this.text(res, 503, 'the gateway is stopping'); return }
      if (name === 'TimeoutError' || name === 'AbortError') { this.text(res, 504, `block ${cid.toString()} could not be fetched in time: try again`); return }
      if (name === 'ShareNotFoundError' || name === 'BlockNotFoundError') { this.text(res, 404, `no node this gateway reaches holds block ${cid.toString()}`); return }
      this.log.error('block %c failed: %e', cid, err)
      this.text(res, 502, `block ${cid.toString()} could not be fetched: ${(err as Error).message}`)
      return
    }
    if (res.destroyed) return
    const budget = this.budgets.send(ip, bytes.length)
    if (budget.refusal !== undefined) { this.refuse(res, budget.refusal); return }
    res.once('close', budget.release)
    send(200, bytes, { 'Content-Type': 'application/vnd.ipld.raw', ETag: etag, 'Cache-Control': IMMUTABLE })
  }

  /**
   * A mutable link's record, for the page to check and open (it cannot be
   * read here: its value is sealed under the link's key). Looked up in the
   * DHT within the client's fetch budget, kept 30 s.
   */
  private async name (res: ServerResponse, ip: string, name: CID, send: (status: number, body: Uint8Array, headers: Record<string, string>) => void): Promise<void> {
    const lookup = this.components.names
    if (lookup === undefined) { this.text(res, 404, 'this gateway resolves no mutable links'); return }
    let record = this.records.get(name)
    if (record === undefined) {
      const budget = this.budgets.fetch(ip)
      if (budget.refusal !== undefined) { this.refuse(res, budget.refusal); return }
      try {
        record = await lookup(name, { signal: AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(this.init.fetchTimeoutMs!)]) })
      } catch (err) {
        if (this.shutdown.signal.aborted) { this.text(res, 503, 'the gateway is stopping'); return }
        // Only versions older than one this node has seen: refuse, as a client would.
        this.text(res, 409, (err as Error).message)
        return
      } finally {
        budget.release()
      }
      if (record === undefined) { this.text(res, 404, 'no node this gateway reaches has a valid record for this link'); return }
      this.records.set(name, record)
    }
    if (res.destroyed) return
    send(200, record, { 'Content-Type': 'application/vnd.veil.name-record', 'Cache-Control': 'no-cache' })
  }

  /** A verified block: cache, then the node's store, then the swarm (within the client's fetch budget). */
  private async read (ip: string, cid: CID, unit: CID | undefined): Promise<Uint8Array> {
    const key = cid.toString()
    const cached = this.cache.get(key)
    if (cached !== undefined) return cached
    const local = await this.fromStore(cid)
    if (local !== undefined) return local
    const pending = this.inflight.get(key)
    if (pending !== undefined) return await pending
    const budget = this.budgets.fetch(ip)
    if (budget.refusal !== undefined) throw new GatewayRefusal(budget.refusal)
    const job = (async () => {
      try {
        const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(this.init.fetchTimeoutMs!)])
        const segment = unit ?? cid
        const bytes = await this.fetcherFor(segment).get(cid, { signal, segment })
        await verifyBlockAsync(cid, bytes)
        this.cache.set(key, bytes)
        return bytes
      } finally {
        budget.release()
        this.inflight.delete(key)
      }
    })()
    this.inflight.set(key, job)
    return await job
  }

  private async fromStore (cid: CID): Promise<Uint8Array | undefined> {
    try {
      if (!await this.components.store.has(cid)) return undefined
      const bytes = await this.components.store.get(cid)
      await verifyBlockAsync(cid, bytes)
      return bytes
    } catch (err) {
      this.log('block %c unusable in the store: %e', cid, err)
      return undefined // corrupt or gone here: the swarm may have it
    }
  }

  /** One fetch engine per unit (it remembers the unit's holders), the least recently used dropped past maxUnits. */
  private fetcherFor (unit: CID): GatewayBlockSource {
    const key = unit.toString()
    let fetcher = this.fetchers.get(key)
    if (fetcher !== undefined) {
      this.fetchers.delete(key)
    } else {
      fetcher = this.components.fetcher()
      for (const oldest of this.fetchers.keys()) {
        if (this.fetchers.size < this.init.maxUnits!) break
        this.fetchers.delete(oldest)
      }
    }
    this.fetchers.set(key, fetcher)
    return fetcher
  }

  private refuse (res: ServerResponse, refusal: NonNullable<Refusal>): void {
    res.setHeader('Retry-After', '1')
    this.text(res, refusal.status, `${refusal.reason}: slow down and retry`)
  }

  private text (res: ServerResponse, status: number, message: string): void {
    if (res.headersSent) { res.destroy(); return }
    const body = new TextEncoder().encode(message + '\n')
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length), 'Cache-Control': 'no-store' })
    res.end(body)
  }
}

class GatewayRefusal extends Error {
  override name = 'GatewayRefusal'
  constructor (readonly refusal: NonNullable<Refusal>) { super(refusal.reason) }
}

/** The service factory (protocol-ping's shape): `gateway(init)(components)`. */
export function gateway (init: GatewayInit = {}): (components: GatewayComponents) => Gateway {
  return (components) => new Gateway(components, init)
}
