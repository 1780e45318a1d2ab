/**
 * The daemon's control API: HTTP on a loopback address, every request
 * authenticated with a bearer token (compared in constant time), JSON in
 * and out. Long operations (share, get) answer with NDJSON — progress lines,
 * then one `result` or `error` line — so the CLI can draw progress bars; a
 * `get` to "-" streams the file's bytes and reports its outcome in a trailer.
 *
 * Endpoints (all under /v1): GET status, GET peers, POST share, POST publish, POST get,
 * POST ls, POST pin, POST unpin, GET pins, POST gc, POST renew. A `get` to "-" of a folder streams it as tar. Links travel only in bodies, never in URLs,
 * and nothing here logs them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createHash, timingSafeEqual } from 'node:crypto'
import { isAbsolute } from 'node:path'
import type { AddressInfo } from 'node:net'
import { InvalidOptionError, VeilError } from '../errors.js'
import type { VeilNode } from '../node/index.js'
import type { FolderLimits } from '../exporter/index.js'
import { gcOp, getOp, listOp, peersOp, pinOp, pinsOp, renewOp, shareOp, statusOp, unpinOp, type OpOptions } from './operations.js'
import { publishOp } from './publish-op.js'
import { API_PREFIX, MAX_REQUEST_BYTES, RESULT_TRAILER, encodeTrailer, toWireError, type StreamLine, type WireError } from '../control/index.js'

export interface ControlServerInit {
  node: VeilNode
  /** A loopback address: 127.0.0.1, ::1 or localhost. */
  host: string
  /** 0 picks a free port. */
  port: number
  /** The secret every request must carry as `Authorization: Bearer <token>`. */
  token: string
  /** Copies a share gets when the request does not say. */
  replicas: number
  /** The convergence secret for `convergent` shares, made on first use. */
  convergenceSecret: () => Promise<Uint8Array>
  /** Told of unexpected failures (never of a caller's mistake). */
  onError?: (err: unknown) => void
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost'])

export function isLoopbackHost (host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/** A request the API cannot act on (bad JSON, missing field, wrong type). */
class BadRequestError extends VeilError {
  override name = 'BadRequestError'
  constructor (message: string) { super(message, 'ERR_BAD_REQUEST') }
}

type Body = Record<string, unknown>
type Handler = (req: IncomingMessage, res: ServerResponse, ops: OpOptions) => Promise<void>

export class ControlServer {
  private server: Server | undefined
  private readonly tokenDigest: Buffer
  private readonly running = new Set<AbortController>()
  private readonly routes: Map<string, Handler>

  constructor (private readonly init: ControlServerInit) {
    if (!isLoopbackHost(init.host)) {
      throw new InvalidOptionError(`the control API only listens on this machine (127.0.0.1, ::1 or localhost), not ${init.host}: it would let anyone with the token use this node`)
    }
    if (init.token.length < 32) throw new InvalidOptionError('the control API token must be at least 32 characters')
    this.tokenDigest = digest(init.token)
    const node = init.node
    this.routes = new Map<string, Handler>([
      ['GET /status', async (_req, res) => { sendJson(res, 200, { result: await statusOp(node) }) }],
      ['GET /peers', async (_req, res) => { sendJson(res, 200, { result: await peersOp(node) }) }],
      ['POST /share', async (req, res, ops) => { await this.share(await readBody(req), res, ops) }],
      ['POST /get', async (req, res, ops) => { await this.get(await readBody(req), res, ops) }],
      ['POST /publish', async (req, res, ops) => { await this.publish(await readBody(req), res, ops) }],
      ['POST /ls', async (req, res, ops) => {
        const body = await readBody(req)
        sendJson(res, 200, { result: await listOp(node, { link: linkOf(body), recursive: field(body, 'recursive', 'boolean') === true }, ops) })
      }],
      ['POST /pin', async (req, res, ops) => {
        const link = linkOf(await readBody(req))
        await streamLines(res, async onProgress => await pinOp(node, link, { ...ops, onProgress }))
      }],
      ['GET /pins', async (_req, res) => { sendJson(res, 200, { result: await pinsOp(node) }) }],
      ['POST /gc', async (_req, res, ops) => { sendJson(res, 200, { result: await gcOp(node, ops) }) }],
      ['POST /unpin', async (req, res, ops) => { sendJson(res, 200, { result: await unpinOp(node, linkOf(await readBody(req)), ops) }) }],
      ['POST /renew', async (req, res, ops) => {
        const body = await readBody(req)
        sendJson(res, 200, { result: await renewOp(node, body.link === undefined ? undefined : linkOf(body), ops) })
      }]
    ])
  }

  /** Listen; resolves with the API's base URL (`http://127.0.0.1:<port>`). */
  async start (): Promise<string> {
    const server = createServer((req, res) => { void this.handle(req, res) })
    server.headersTimeout = 10_000
    server.requestTimeout = 0 // shares and fetches take as long as they take
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.init.port, this.init.host, () => { server.off('error', reject); resolve() })
    })
    this.server = server
    return this.url
  }

  get url (): string {
    const address = this.server?.address() as AddressInfo | null | undefined
    if (address == null) throw new InvalidOptionError('the control API is not listening')
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return `http://${host}:${address.port}`
  }

  /** Stop taking requests, abort those in flight and close every connection. */
  async stop (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    for (const controller of this.running) controller.abort(new Error('the node is shutting down'))
    const closed = new Promise<void>(resolve => { server.close(() => { resolve() }) })
    server.closeAllConnections()
    await closed
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController()
    this.running.add(controller)
    // The client went away (Ctrl-C in the CLI): stop the work behind its request.
    res.on('close', () => { if (!res.writableFinished) controller.abort(new Error('the client disconnected')) })
    try {
      if (!this.authorized(req)) {
        sendJson(res, 401, { error: { name: 'DaemonAuthError', code: 'ERR_DAEMON_AUTH', message: 'missing or wrong control API token' } })
        return
      }
      const url = new URL(req.url ?? '/', 'http://localhost')
      const path = url.pathname.startsWith(API_PREFIX + '/') ? url.pathname.slice(API_PREFIX.length) : url.pathname
      const handler = this.routes.get(`${req.method ?? 'GET'} ${path}`)
      if (handler === undefined) {
        const known = [...this.routes.keys()].some(route => route.endsWith(` ${path}`))
        sendJson(res, known ? 405 : 404, { error: { name: 'BadRequestError', code: 'ERR_BAD_REQUEST', message: `${known ? 'wrong method for' : 'no such endpoint'} ${url.pathname}` } })
        return
      }
      await handler(req, res, { signal: controller.signal })
    } catch (err) {
      if (!(err instanceof VeilError)) this.init.onError?.(err)
      if (!res.headersSent) sendJson(res, err instanceof VeilError ? 400 : 500, { error: toWireError(err) })
      else res.destroy()
    } finally {
      this.running.delete(controller)
    }
  }

  private authorized (req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? ''
    const match = /^Bearer (\S+)$/.exec(header)
    // Digests have equal lengths, so the comparison time says nothing about the token.
    return match !== null && timingSafeEqual(digest(match[1]!), this.tokenDigest)
  }

  private async share (body: Body, res: ServerResponse, ops: OpOptions): Promise<void> {
    const path = field(body, 'path', 'string')
    if (path === undefined || !isAbsolute(path)) throw new BadRequestError('"path" must be an absolute path')
    const replicas = field(body, 'replicas', 'number') ?? this.init.replicas
    if (!Number.isSafeInteger(replicas) || replicas < 0 || replicas > 100) throw new BadRequestError('"replicas" must be a whole number from 0 to 100')
    const convergent = field(body, 'convergent', 'boolean') === true
    const expires = field(body, 'expires', 'number')
    if (expires !== undefined && (!Number.isSafeInteger(expires) || expires <= Date.now())) throw new BadRequestError('"expires" must be a time in the future, in ms since the epoch')
    const convergenceSecret = convergent ? await this.init.convergenceSecret() : undefined
    await streamLines(res, async onProgress => await shareOp(this.init.node, { path, replicas, keepLocal: true, convergenceSecret, expires }, { ...ops, onProgress }))
  }

  private async publish (body: Body, res: ServerResponse, ops: OpOptions): Promise<void> {
    const path = field(body, 'path', 'string')
    if (path === undefined || !isAbsolute(path)) throw new BadRequestError('"path" must be an absolute path')
    const name = field(body, 'name', 'string')
    if (name === undefined) throw new BadRequestError('"name" is required')
    const replicas = field(body, 'replicas', 'number') ?? this.init.replicas
    if (!Number.isSafeInteger(replicas) || replicas < 0 || replicas > 100) throw new BadRequestError('"replicas" must be a whole number from 0 to 100')
    await streamLines(res, async onProgress => await publishOp(this.init.node, { path, name, replicas, keepLocal: true }, { ...ops, onProgress }))
  }

  private async get (body: Body, res: ServerResponse, ops: OpOptions): Promise<void> {
    const link = linkOf(body)
    const output = field(body, 'output', 'string')
    const cwd = field(body, 'cwd', 'string')
    const force = field(body, 'force', 'boolean') === true
    const limits = folderLimitsField(body)
    if (output !== undefined && output !== '-' && !isAbsolute(output)) throw new BadRequestError('"output" must be an absolute path or "-"')
    if (cwd !== undefined && !isAbsolute(cwd)) throw new BadRequestError('"cwd" must be an absolute path')
    if (output !== '-') {
      await streamLines(res, async onProgress => await getOp(this.init.node, { link, output, cwd, force, limits }, { ...ops, onProgress }))
      return
    }
    // Raw bytes: headers go out once the share is open and known to be a file; the outcome follows in a trailer.
    try {
      const result = await getOp(this.init.node, {
        link,
        output: res,
        onOpen: (share) => {
          res.writeHead(200, {
            'content-type': 'application/octet-stream',
            trailer: RESULT_TRAILER,
            'x-veil-size': String(share.size)
          })
        }
      }, ops)
      res.addTrailers({ [RESULT_TRAILER]: encodeTrailer({ result }) })
    } catch (err) {
      if (!res.headersSent) throw err
      res.addTrailers({ [RESULT_TRAILER]: encodeTrailer({ error: toWireError(err) }) })
    }
    res.end()
  }
}

/** NDJSON: progress lines while `work` runs, then its result or its error. */
async function streamLines<T> (res: ServerResponse, work: (onProgress: NonNullable<OpOptions['onProgress']>) => Promise<T>): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
  const send = (line: StreamLine<T>): void => { if (!res.destroyed) res.write(JSON.stringify(line) + '\n') }
  try {
    send({ result: await work(progress => { send({ progress }) }) })
  } catch (err) {
    send({ error: toWireError(err) })
  }
  res.end()
}

function sendJson (res: ServerResponse, status: number, body: { result: unknown } | { error: WireError }): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}

async function readBody (req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_REQUEST_BYTES) throw new BadRequestError(`the request body is over ${MAX_REQUEST_BYTES} bytes`)
    chunks.push(chunk)
  }
  if (size === 0) return {}
  let body: unknown
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new BadRequestError('the request body is not JSON')
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('the request body must be a JSON object')
  return body as Body
}

function field<K extends 'string' | 'number' | 'boolean'> (body: Body, name: string, type: K): (K extends 'string' ? string : K extends 'number' ? number : boolean) | undefined {
  const value = body[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== type) throw new BadRequestError(`"${name}" must be a ${type}`)
  return value as never
}

/** `limits`: absent, or an object of whole numbers (checked again by the exporter). */
function folderLimitsField (body: Body): FolderLimits | undefined {
  const value = body.limits
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) throw new BadRequestError('"limits" must be an object such as {"maxEntries": 500000}')
  const limits = value as Body
  return { maxEntries: field(limits, 'maxEntries', 'number'), maxDepth: field(limits, 'maxDepth', 'number'), maxBytes: field(limits, 'maxBytes', 'number') }
}

function linkOf (body: Body): string {
  const link = field(body, 'link', 'string')
  if (link === undefined) throw new BadRequestError('"link" is required')
  return link
}

function digest (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
