/**
 * `GET /metrics` on its own small HTTP server (`veil node start --metrics
 * host:port`, loopback by default). It reads no request body and answers
 * nothing else; each client is bounded in time (headers within 5 s, the
 * whole request within 10 s, idle keep-alive 5 s), in header size (8 KiB)
 * and in number (16 connections at once); scrapes are answered one at a
 * time, so many scrapers cost one status read each, in turn.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { VeilMetrics } from './veil-metrics.js'

export const METRICS_LIMITS = { headersTimeoutMs: 5_000, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000, maxHeaderSize: 8 * 1024, maxConnections: 16 }

export class MetricsServer {
  private server: Server | undefined
  private queue: Promise<unknown> = Promise.resolve()

  constructor (private readonly metrics: VeilMetrics, private readonly host: string, private readonly port: number) {}

  /** Listen; resolves with the scrape URL. */
  async start (): Promise<string> {
    const server = createServer({ maxHeaderSize: METRICS_LIMITS.maxHeaderSize, headersTimeout: METRICS_LIMITS.headersTimeoutMs, requestTimeout: METRICS_LIMITS.requestTimeoutMs, keepAliveTimeout: METRICS_LIMITS.keepAliveTimeoutMs, connectionsCheckingInterval: 1_000 }, (req, res) => { this.handle(req, res) })
    server.maxConnections = METRICS_LIMITS.maxConnections
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, this.host, () => { server.off('error', reject); resolve() })
    })
    const address = server.address() as AddressInfo
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return `http://${host}:${address.port}/metrics`
  }

  async stop (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  }

  private handle (req: IncomingMessage, res: ServerResponse): void {
    // Nothing is read from the request but its first line and headers.
    req.resume()
    const path = (req.url ?? '').split('?')[0]
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics is served here\n')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('use GET\n')
      return
    }
    const scrape = this.queue.then(async () => await this.metrics.scrape())
    this.queue = scrape.catch(() => {})
    scrape.then(text => {
      res.writeHead(200, { 'content-type': this.metrics.contentType })
      res.end(req.method === 'HEAD' ? undefined : text)
    }, (err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`could not collect metrics: ${(err as Error).message ?? String(err)}\n`)
    })
  }
}
