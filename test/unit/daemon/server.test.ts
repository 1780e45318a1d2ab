/**
 * The daemon's control API over a real loopback HTTP server, with a fake
 * node behind it: the token, the checks on requests, the routes and what
 * each hands the node, streamed progress, errors, and a stop that aborts
 * the work in flight.
 */
import { describe, it, expect, onTestFinished } from 'vitest'
import { request } from 'node:http'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { ControlServer } from '../../../src/daemon/index.js'
import { DaemonClient, MAX_REQUEST_BYTES } from '../../../src/control/index.js'
import type { VeilNode, NodeStatus } from '../../../src/node/index.js'
import { formatLink, formatVerifyLink } from '../../../src/link/index.js'
import { MemoryBlockStore } from '../../../src/blockstore/index.js'
import { importBytes } from '../../../src/importer/index.js'
import { NotPinnedError } from '../../../src/errors.js'

const TOKEN = 'a'.repeat(40)

const STATUS: NodeStatus = {
  peerId: '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN',
  addresses: ['/ip4/127.0.0.1/tcp/4001'],
  peers: 2,
  dhtPeers: 1,
  announced: 3,
  refusedConnections: 0,
  store: { blocks: 5, bytes: 500 }
}

/** What the fake node was asked, in order. */
type Call = [string, ...unknown[]]

/** A node that answers from fixed values and records each call; `overrides` replace its methods. */
function fakeNode (overrides: Record<string, unknown> = {}): { node: VeilNode, calls: Call[] } {
  const calls: Call[] = []
  const connection = (id: string, addr: string, direction: string): unknown => ({ remotePeer: { toString: () => id }, remoteAddr: { toString: () => addr }, direction })
  // peer-a has identified itself (its listen address differs from its connection's); peer-b has not.
  const listening: Record<string, string[]> = { 'peer-a': ['/ip4/10.0.0.1/tcp/4001'] }
  const peerStore = {
    get: async (peer: { toString: () => string }) => {
      const addrs = listening[peer.toString()]
      if (addrs === undefined) throw new Error('not found')
      return { addresses: addrs.map(a => ({ multiaddr: { toString: () => a } })) }
    }
  }
  const node = {
    status: async () => { calls.push(['status']); return STATUS },
    pins: async () => { calls.push(['pins']); return [] as CID[] },
    unpin: async (link: { cid: CID }) => { calls.push(['unpin', link.cid.toString()]); return { shares: 1, units: 2 } },
    renew: async (link: { cid: CID } | undefined) => { calls.push(['renew', link?.cid.toString()]); return [] },
    collectGarbage: async () => { calls.push(['gc']); return { blocks: 1, bytes: 10, kept: 4 } },
    libp2p: {
      getConnections: () => [connection('peer-b', '/ip4/10.0.0.2/tcp/1', 'inbound'), connection('peer-a', '/ip4/10.0.0.1/tcp/1', 'outbound'), connection('peer-b', '/ip4/10.0.0.3/tcp/1/p2p/relay/p2p-circuit', 'inbound')],
      peerStore
    },
    ...overrides
  }
  return { node: node as unknown as VeilNode, calls }
}

async function serve (node: VeilNode, onError?: (err: unknown) => void): Promise<{ server: ControlServer, url: string }> {
  const server = new ControlServer({ node, host: '127.0.0.1', port: 0, token: TOKEN, replicas: 3, convergenceSecret: async () => new Uint8Array(32), onError })
  const url = await server.start()
  onTestFinished(async () => { await server.stop() })
  return { server, url }
}

/** A raw request (with the token unless `token` says another, or null for none): status and parsed JSON body. */
async function raw (url: string, method: string, path: string, body?: string, token: string | null = TOKEN): Promise<{ status: number, json: any }> {
  const res = await fetch(url + path, {
    method,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), 'content-type': 'application/json' },
    body
  })
  return { status: res.status, json: await res.json() }
}

async function someLink (): Promise<{ link: string, verify: string, cid: string }> {
  const share = await importBytes(new TextEncoder().encode('hello'), new MemoryBlockStore(), { name: 'hello.txt' })
  return { link: formatLink({ cid: share.cid, key: share.key }), verify: formatVerifyLink({ cid: share.cid }), cid: share.cid.toString() }
}

describe('control API server', () => {
  it('listens only on a loopback address, with a token of at least 32 characters', () => {
    const { node } = fakeNode()
    expect(() => new ControlServer({ node, host: '0.0.0.0', port: 0, token: TOKEN, replicas: 3, convergenceSecret: async () => new Uint8Array(32) })).toThrow(/only listens on this machine/)
    expect(() => new ControlServer({ node, host: '127.0.0.1', port: 0, token: 'short', replicas: 3, convergenceSecret: async () => new Uint8Array(32) })).toThrow(/at least 32 characters/)
  })

  it('refuses a request without the token, or with another, before any route runs', async () => {
    const { node, calls } = fakeNode()
    const { url } = await serve(node)
    expect(await raw(url, 'GET', '/v1/status', undefined, null)).toMatchObject({ status: 401, json: { error: { name: 'DaemonAuthError' } } })
    expect(await raw(url, 'GET', '/v1/status', undefined, 'b'.repeat(40))).toMatchObject({ status: 401 })
    expect(await raw(url, 'GET', '/v1/nowhere', undefined, 'b'.repeat(40))).toMatchObject({ status: 401 })
    await expect(new DaemonClient(url, 'c'.repeat(40)).status()).rejects.toMatchObject({ name: 'DaemonAuthError' })
    expect(calls).toEqual([])
  })

  it('answers 404 for an unknown endpoint and 405 for a known one with the wrong method', async () => {
    const { url } = await serve(fakeNode().node)
    expect(await raw(url, 'GET', '/v1/nowhere')).toMatchObject({ status: 404, json: { error: { name: 'BadRequestError', message: 'no such endpoint /v1/nowhere' } } })
    expect(await raw(url, 'POST', '/v1/status', '{}')).toMatchObject({ status: 405, json: { error: { message: 'wrong method for /v1/status' } } })
  })

  it('turns away bodies that are not a JSON object, too large, or missing or mistyping a field', async () => {
    const { node, calls } = fakeNode()
    const { url } = await serve(node)
    const bad = async (path: string, body: string): Promise<string> => {
      const { status, json } = await raw(url, 'POST', path, body)
      expect(status).toBe(400)
      expect(json.error.name).toBe('BadRequestError')
      return json.error.message
    }
    expect(await bad('/v1/ls', 'not json')).toBe('the request body is not JSON')
    expect(await bad('/v1/ls', '[1, 2]')).toBe('the request body must be a JSON object')
    expect(await bad('/v1/ls', JSON.stringify({ pad: 'x'.repeat(MAX_REQUEST_BYTES) }))).toBe(`the request body is over ${MAX_REQUEST_BYTES} bytes`)
    expect(await bad('/v1/ls', '{}')).toBe('"link" is required')
    expect(await bad('/v1/ls', JSON.stringify({ link: 42 }))).toBe('"link" must be a string')
    expect(await bad('/v1/share', JSON.stringify({ path: 'relative/file' }))).toBe('"path" must be an absolute path')
    expect(await bad('/v1/share', JSON.stringify({ path: '/tmp/file', replicas: 101 }))).toBe('"replicas" must be a whole number from 0 to 100')
    expect(await bad('/v1/share', JSON.stringify({ path: '/tmp/file', replicas: 1.5 }))).toBe('"replicas" must be a whole number from 0 to 100')
    expect(await bad('/v1/get', JSON.stringify({ link: 'veil://x', output: 'relative' }))).toBe('"output" must be an absolute path or "-"')
    expect(await bad('/v1/get', JSON.stringify({ link: 'veil://x', cwd: 'relative' }))).toBe('"cwd" must be an absolute path')
    expect(await bad('/v1/get', JSON.stringify({ link: 'veil://x', output: '/tmp/x', limits: [1] }))).toBe('"limits" must be an object such as {"maxEntries": 500000}')
    expect(await bad('/v1/get', JSON.stringify({ link: 'veil://x', output: '/tmp/x', limits: { maxEntries: 'many' } }))).toBe('"maxEntries" must be a number')
    expect(calls).toEqual([])
  })

  it('routes each endpoint to the node and answers with its summary', async () => {
    const { node, calls } = fakeNode()
    const { url } = await serve(node)
    const client = new DaemonClient(url, TOKEN)
    const { link, verify, cid } = await someLink()
    expect(await client.status()).toEqual(STATUS)
    expect(await client.peers()).toEqual({
      peers: [
        { id: 'peer-a', addresses: ['/ip4/10.0.0.1/tcp/4001'], connections: [{ address: '/ip4/10.0.0.1/tcp/1', relayed: false, direction: 'outbound' }] },
        {
          id: 'peer-b',
          addresses: ['/ip4/10.0.0.2/tcp/1', '/ip4/10.0.0.3/tcp/1/p2p/relay/p2p-circuit'],
          connections: [{ address: '/ip4/10.0.0.2/tcp/1', relayed: false, direction: 'inbound' }, { address: '/ip4/10.0.0.3/tcp/1/p2p/relay/p2p-circuit', relayed: true, direction: 'inbound' }]
        }
      ]
    })
    expect(await client.pins()).toEqual({ pins: [] })
    expect(await client.unpin(verify)).toEqual({ cid, shares: 1, units: 2 })
    expect(await client.renew(undefined)).toEqual({ shares: [] })
    expect(await client.renew(link)).toEqual({ shares: [] })
    expect(await client.gc()).toEqual({ blocks: 1, bytes: 10, kept: 4 })
    // The link reaches the node, parsed, in the body; it is never in a URL.
    expect(calls).toEqual([['status'], ['pins'], ['unpin', cid], ['renew', undefined], ['renew', cid], ['gc']])
  })

  it('streams a share\'s progress as it goes, then its result', async () => {
    const { link, cid } = await someLink()
    let asked: { path: string, options: { replicas?: number, keepLocal?: boolean, convergenceSecret?: Uint8Array } } | undefined
    const { node } = fakeNode({
      share: async (path: string, options: { replicas?: number, keepLocal?: boolean, convergenceSecret?: Uint8Array, onProgress?: (event: { type: string, detail: unknown }) => void }) => {
        asked = { path, options }
        options.onProgress?.({ type: 'veil:import:start', detail: { name: 'a.bin', size: 3, blocks: 1 } })
        options.onProgress?.({ type: 'veil:share:place:done', detail: { copies: 2 } })
        return { link, cid: { toString: () => cid }, meta: { name: 'a.bin', kind: 'file', size: 3 }, replicas: 2, replicasWanted: 3, placementFailures: ['one node was full'], removedLocal: false }
      }
    })
    const { url } = await serve(node)
    const progress: string[] = []
    const result = await new DaemonClient(url, TOKEN).share({ path: '/data/a.bin', convergent: true }, { onProgress: event => progress.push(event.type) })
    expect(progress).toEqual(['veil:import:start', 'veil:share:place:done'])
    expect(result).toMatchObject({ link, cid, name: 'a.bin', kind: 'file', size: 3, files: 1, replicas: 2, replicasWanted: 3, placementFailures: ['one node was full'], keptLocal: true })
    // The server's default copies, and the convergence secret when asked for a convergent share.
    expect(asked).toMatchObject({ path: '/data/a.bin', options: { replicas: 3, keepLocal: true } })
    expect(asked?.options.convergenceSecret).toHaveLength(32)
  })

  it('answers a node\'s own error with its name and code (400), and anything else as internal (500), reported once', async () => {
    const unexpected = new TypeError('oops')
    const { node } = fakeNode({
      unpin: async (link: { cid: CID }) => { throw new NotPinnedError(link.cid.toString()) },
      collectGarbage: async () => { throw unexpected }
    })
    const reported: unknown[] = []
    const { url } = await serve(node, err => reported.push(err))
    const { link } = await someLink()
    const client = new DaemonClient(url, TOKEN)
    await expect(client.unpin(link)).rejects.toMatchObject({ name: 'NotPinnedError', code: 'ERR_NOT_PINNED' })
    expect(reported).toEqual([])
    const gc = await raw(url, 'POST', '/v1/gc', '{}')
    expect(gc.status).toBe(500)
    expect(reported).toEqual([unexpected])
  })

  /** A node whose pin runs until its signal aborts; `started` resolves when one began, `aborted` with the reason. */
  function pinUntilAborted (): { node: VeilNode, started: Promise<void>, aborted: Promise<unknown> } {
    let begin!: () => void
    let abort!: (reason: unknown) => void
    const started = new Promise<void>(resolve => { begin = resolve })
    const aborted = new Promise<unknown>(resolve => { abort = resolve })
    const { node } = fakeNode({
      pin: async (_link: unknown, options: AbortOptions) => {
        begin()
        return await new Promise((_resolve, reject) => {
          options.signal?.addEventListener('abort', () => { abort(options.signal?.reason); reject(options.signal?.reason) }, { once: true })
        })
      }
    })
    return { node, started, aborted }
  }

  it('stop aborts the work in flight and closes every connection', async () => {
    const { link } = await someLink()
    const { node, started, aborted } = pinUntilAborted()
    const { server, url } = await serve(node)
    const call = new DaemonClient(url, TOKEN).pin(link)
    await started
    await server.stop()
    expect(String(await aborted)).toContain('the node is shutting down')
    await expect(call).rejects.toMatchObject({ name: 'DaemonUnreachableError' })
  })

  it('aborts the work behind a request whose client went away', async () => {
    const { link } = await someLink()
    const { node, started, aborted } = pinUntilAborted()
    const { url } = await serve(node)
    const req = request(`${url}/v1/pin`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })
    req.on('error', () => {})
    req.end(JSON.stringify({ link }))
    await started
    req.destroy()
    expect(String(await aborted)).toContain('the client disconnected')
  })
})
