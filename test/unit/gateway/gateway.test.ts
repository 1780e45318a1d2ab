import { describe, it, expect, onTestFinished } from 'vitest'
import { randomBytes } from 'node:crypto'
import { defaultLogger } from '@libp2p/logger'
import type { CID } from 'multiformats/cid'
import { MemoryBlockStore } from '../../../src/blockstore/index.js'
import { rawCid, dagCborCid } from '../../../src/format/index.js'
import { Gateway, type GatewayInit, type RequestLogEntry, type GatewayBlockSource } from '../../../src/gateway/index.js'
import { ShareNotFoundError } from '../../../src/errors.js'

/*
 * The gateway on its own, over real HTTP on 127.0.0.1: routes, headers,
 * what it refuses, where blocks come from, that it verifies them, its
 * budgets and its request log. (The page in a browser: test/browser/.)
 */

interface Setup { gateway: Gateway, url: string, store: MemoryBlockStore, log: RequestLogEntry[], swarm: Map<string, Uint8Array>, fetches: string[] }

async function setup (init: GatewayInit = {}, lie = false): Promise<Setup> {
  const store = new MemoryBlockStore()
  const swarm = new Map<string, Uint8Array>()
  const fetches: string[] = []
  const log: RequestLogEntry[] = []
  const fetcher = (): GatewayBlockSource => ({
    async get (cid: CID, options = {}) {
      fetches.push(`${cid.toString()} in ${options.segment?.toString() ?? '-'}`)
      const bytes = swarm.get(cid.toString())
      if (bytes === undefined) throw new ShareNotFoundError('nobody holds it')
      return lie ? randomBytes(bytes.length) : bytes
    }
  })
  const gateway = new Gateway({ store, fetcher, logger: defaultLogger() }, { ...init, onRequest: entry => log.push(entry) })
  await gateway.start()
  onTestFinished(async () => { await gateway.stop() })
  return { gateway, url: gateway.url!.replace(/\/$/, ''), store, log, swarm, fetches }
}

function block (size = 4096): { cid: CID, bytes: Uint8Array } {
  const bytes = new Uint8Array(randomBytes(size))
  return { cid: rawCid(bytes), bytes }
}

describe('gateway', () => {
  it('serves the page for a share root with a strict CSP and no referrer, and its one script and stylesheet', async () => {
    const { url } = await setup()
    const root = dagCborCid(Uint8Array.of(1, 2, 3))
    const page = await fetch(`${url}/v/${root.toString()}`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    const csp = page.headers.get('content-security-policy')!
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    const html = await page.text()
    expect(html).toContain('/_veil/veil.js')
    expect(html).not.toMatch(/<script>(?!<\/script>)|<script [^>]*>[^<]+<\/script>|https?:\/\//) // no inline script, no external resource
    const script = await fetch(`${url}/_veil/veil.js`)
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/)
    const again = await fetch(`${url}/_veil/veil.js`, { headers: { 'If-None-Match': script.headers.get('etag')! } })
    expect(again.status).toBe(304)
    expect((await fetch(`${url}/_veil/veil.css`)).status).toBe(200)
    expect((await fetch(`${url}/v/${root.toString()}/photos/a.jpg`)).status).toBe(200)
  })

  it('refuses what it cannot verify (400), lists nothing (404), and serves only GET and HEAD (405)', async () => {
    const { url } = await setup()
    const raw = block().cid
    expect((await fetch(`${url}/v/not-a-cid`)).status).toBe(400)
    expect((await fetch(`${url}/v/${raw.toString()}`)).status).toBe(400) // a raw block is not a share root
    expect((await fetch(`${url}/block/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG`)).status).toBe(400) // CIDv0
    expect((await fetch(`${url}/block/bafkreiabc`)).status).toBe(400)
    expect((await fetch(`${url}/block/${raw.toString()}?in=${raw.toString()}`)).status).toBe(400) // `in` must name a manifest node
    for (const path of ['/', '/v/', '/block/', '/_veil/', '/_veil/dl/x/y', '/../etc/passwd', '/ipfs/x']) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(404)
    }
    expect((await fetch(`${url}/block/${raw.toString()}`, { method: 'POST', body: 'x' })).status).toBe(405)
  })

  it('serves a block from the store, immutable with the CID as ETag, and 304 on a match', async () => {
    const { url, store } = await setup()
    const { cid, bytes } = block()
    await store.put({ cid, bytes })
    const response = await fetch(`${url}/block/${cid.toString()}`)
    expect(response.status).toBe(200)
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes)
    expect(response.headers.get('etag')).toBe(`"${cid.toString()}"`)
    expect(response.headers.get('cache-control')).toContain('immutable')
    expect((await fetch(`${url}/block/${cid.toString()}`, { headers: { 'If-None-Match': `"${cid.toString()}"` } })).status).toBe(304)
    const head = await fetch(`${url}/block/${cid.toString()}`, { method: 'HEAD' })
    expect(head.headers.get('content-length')).toBe(String(bytes.length))
  })

  it('fetches a missing block from the swarm by the unit named in ?in=, once, and caches it', async () => {
    const { url, swarm, fetches } = await setup()
    const { cid, bytes } = block()
    const unit = dagCborCid(Uint8Array.of(9))
    swarm.set(cid.toString(), bytes)
    const [a, b] = await Promise.all([fetch(`${url}/block/${cid.toString()}?in=${unit.toString()}`), fetch(`${url}/block/${cid.toString()}?in=${unit.toString()}`)])
    expect(new Uint8Array(await a.arrayBuffer())).toEqual(bytes)
    expect(new Uint8Array(await b.arrayBuffer())).toEqual(bytes)
    expect((await fetch(`${url}/block/${cid.toString()}`)).status).toBe(200)
    expect(fetches).toEqual([`${cid.toString()} in ${unit.toString()}`])
    expect((await fetch(`${url}/block/${block().cid.toString()}`)).status).toBe(404)
  })

  it('never serves a block that does not match its CID', async () => {
    const { url, swarm } = await setup({}, true)
    const { cid, bytes } = block()
    swarm.set(cid.toString(), bytes)
    const response = await fetch(`${url}/block/${cid.toString()}`)
    expect(response.status).toBe(502)
    expect(await response.text()).toMatch(/do not match/)
  })

  it('holds each client to its request rate (429 with Retry-After) and its swarm fetches', async () => {
    const { url, gateway, store } = await setup({ requestsPerSecond: 5, requestBurst: 10 })
    const { cid, bytes } = block()
    await store.put({ cid, bytes })
    const statuses = await Promise.all(Array.from({ length: 30 }, async () => {
      const response = await fetch(`${url}/block/${cid.toString()}`)
      await response.arrayBuffer()
      return { status: response.status, retry: response.headers.get('retry-after') }
    }))
    expect(statuses.filter(s => s.status === 200).length).toBeLessThanOrEqual(11)
    expect(statuses.filter(s => s.status === 429).length).toBeGreaterThanOrEqual(19)
    expect(statuses.find(s => s.status === 429)?.retry).toBe('1')
    expect(gateway.status().refused.rate).toBeGreaterThanOrEqual(19)
  })

  it('logs the route and CID only: no query, no path inside a share', async () => {
    const { url, log } = await setup()
    const root = dagCborCid(Uint8Array.of(7))
    await (await fetch(`${url}/v/${root.toString()}/secret%20name/x.txt?token=abc`)).text()
    await (await fetch(`${url}/block/${root.toString()}?in=${root.toString()}&x=secret`)).text()
    await (await fetch(`${url}/whatever/secret`)).text()
    const text = JSON.stringify(log)
    expect(log.map(e => e.path)).toEqual([`/v/${root.toString()}`, `/block/${root.toString()}`, '-'])
    expect(text).not.toMatch(/secret|token/)
  })
})
