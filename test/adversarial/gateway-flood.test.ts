import { describe, it, expect } from 'vitest'
import { request, Agent } from 'node:http'
import { randomBytes } from 'node:crypto'
import { rawCid, dagCborCid } from '../../src/format/index.js'
import { nameCidFromPublicKey, parseShareLink } from '../../src/link/index.js'
import { startTarget, expectWithinBudget, expectLegitFetch, MiB } from './harness.js'

/*
 * The gateway is a listener open to browsers: a flood of HTTP requests from
 * one address (keep-alive, 64 at a time) — blocks it holds, pages, CIDs it
 * cannot verify, unknown blocks and unknown mutable-link names that would
 * each need a swarm look-up, and junk paths — must stay within the node's event-loop and memory budgets,
 * be refused cheaply past its rate (429), and leave another address (a
 * second loopback address, 127.0.0.2) served all along.
 */

interface Reply { status: number, bytes: number }

function get (base: URL, path: string, agent: Agent, localAddress?: string): Promise<Reply> {
  return new Promise(resolve => {
    const req = request({ host: base.hostname, port: base.port, path, agent, localAddress, timeout: 20_000 }, res => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => { bytes += chunk.length })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, bytes }) })
      res.on('error', () => { resolve({ status: -1, bytes }) })
    })
    req.on('timeout', () => { req.destroy() })
    req.on('error', () => { resolve({ status: -1, bytes: 0 }) })
    req.end()
  })
}

describe('adversarial: the HTTP gateway', () => {
  it('a request flood from one address is refused past its rate and budgets; the node stays within budget and serves another address', async () => {
    const target = await startTarget({ shareBytes: 4 * MiB, gateway: true, lookupTimeoutMs: 2_000 })
    const base = new URL(target.gateway!)
    const root = parseShareLink(target.link!).cid
    const honestAgent = new Agent({ keepAlive: true, maxSockets: 2 })
    const floodAgent = new Agent({ keepAlive: true, maxSockets: 64 })
    await target.reset()

    const paths = (i: number): string => {
      switch (i % 7) {
        case 0: return `/block/${root.toString()}`
        case 1: return `/v/${root.toString()}/some/path?q=${i}`
        case 2: return `/block/${rawCid(randomBytes(32)).toString()}?in=${dagCborCid(randomBytes(8)).toString()}` // unknown: a swarm fetch each
        case 3: return '/block/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG'
        case 4: return `/${randomBytes(6).toString('hex')}/../../etc/passwd`
        case 5: return `/name/${nameCidFromPublicKey(randomBytes(32)).toString()}` // unknown: a DHT look-up each
        default: return '/_veil/veil.js'
      }
    }
    const statuses = new Map<number, number>()
    const deadline = Date.now() + 12_000
    let sent = 0
    let honestOk = 0
    let honestRefused = 0
    const flood = async (): Promise<void> => {
      while (sent < 6_000 && Date.now() < deadline) {
        const reply = await get(base, paths(sent++), floodAgent)
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1)
      }
    }
    const honest = async (): Promise<void> => {
      while (sent < 6_000 && Date.now() < deadline) {
        const reply = await get(base, `/block/${root.toString()}`, honestAgent, '127.0.0.2')
        if (reply.status === 200) honestOk++
        else honestRefused++
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
    await Promise.all([...Array.from({ length: 64 }, flood), honest()])
    floodAgent.destroy()
    honestAgent.destroy()

    const counts = Object.fromEntries(statuses)
    const stats = await expectWithinBudget(target, 'gateway: HTTP request flood from one address', { requests: sent, statuses: counts, honestOk, honestRefused, refused: (await target.stats()).gateway?.refused })
    expect(sent).toBeGreaterThan(1_000)
    expect(statuses.get(429) ?? 0, JSON.stringify(counts)).toBeGreaterThan(sent / 4)
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0)
    expect(honestOk).toBeGreaterThan(5)
    expect(honestRefused).toBe(0)
    expect(stats.gateway!.fetchesInFlight).toBeLessThanOrEqual(8)
    await expectLegitFetch(target)
  }, 90_000)
})
