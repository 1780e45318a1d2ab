/**
 * The metrics listener is a new reader of network bytes. Attacks: headers
 * trickled at 1 byte/s (slowloris), a flood of connections, oversized
 * headers, a POST with a large body, other paths. Each is bounded (see
 * src/metrics/server.ts): the event loop stays under the suite's 200 ms
 * budget and an honest scrape still gets its answer.
 */
import { describe, it, expect, onTestFinished } from 'vitest'
import { connect, type Socket } from 'node:net'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { join } from 'node:path'
import { VeilNode } from '../../src/node/index.js'
import { METRICS_LIMITS, MetricsServer, VeilMetrics } from '../../src/metrics/index.js'
import { TEST_NODE } from '../helpers/swarm.js'
import { TEST_STORAGE } from '../helpers/storage.js'
import { tempDir } from '../helpers/files.js'
import { MAX_LOOP_DELAY_MS } from './harness.js'

async function target (): Promise<{ url: URL, port: number }> {
  const metrics = new VeilMetrics({ processMetrics: false })
  const node = await VeilNode.create({ ...TEST_NODE, repo: join(await tempDir(), 'repo'), storage: TEST_STORAGE, libp2pMetrics: metrics.libp2p() })
  onTestFinished(async () => { await node.stop() })
  await node.start()
  metrics.attach(node)
  const server = new MetricsServer(metrics, '127.0.0.1', 0)
  const url = new URL(await server.start())
  onTestFinished(async () => { await server.stop() })
  return { url, port: Number(url.port) }
}

function open (port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => { resolve(socket) })
    socket.on('error', reject)
  })
}

/** Resolves when the server closes `socket` (or after `ms`, with false). */
function closedWithin (socket: Socket, ms: number): Promise<boolean> {
  return new Promise(resolve => {
    const timer = setTimeout(() => { resolve(false) }, ms)
    socket.once('close', () => { clearTimeout(timer); resolve(true) })
    socket.on('error', () => {})
  })
}

async function honestScrape (url: URL): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  expect(response.status).toBe(200)
  expect(await response.text()).toMatch(/^veil_storage_capacity_bytes \d+$/m)
}

describe('attacks on the metrics listener', () => {
  it('slowloris headers are cut at the header deadline; a connection flood is capped; the loop stays responsive', async () => {
    const { url, port } = await target()
    // The operator's scraper, before the attack.
    await honestScrape(url)
    const loop = monitorEventLoopDelay({ resolution: 10 })
    loop.enable()
    // 8 connections trickling a request line one byte a second.
    const trickled = await Promise.all(Array.from({ length: 8 }, async () => await open(port)))
    const timers = trickled.map(socket => {
      const text = 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: '
      let i = 0
      return setInterval(() => { if (!socket.destroyed) socket.write(text[i++ % text.length]!) }, 1_000)
    })
    onTestFinished(() => { for (const timer of timers) clearInterval(timer) })
    const cut = trickled.map(socket => closedWithin(socket, METRICS_LIMITS.headersTimeoutMs + 5_000))
    // 64 more idle connections: beyond maxConnections the server closes them at once.
    const flood = await Promise.all(Array.from({ length: 64 }, async () => await open(port).catch(() => undefined)))
    const floodClosed = await Promise.all(flood.map(async socket => socket === undefined ? true : await closedWithin(socket, 1_000)))
    expect(floodClosed.filter(Boolean).length).toBeGreaterThanOrEqual(64 - METRICS_LIMITS.maxConnections)
    for (const socket of flood) socket?.destroy()
    await honestScrape(url)
    expect((await Promise.all(cut)).every(Boolean)).toBe(true)
    loop.disable()
    expect(loop.max / 1e6).toBeLessThan(MAX_LOOP_DELAY_MS)
  }, 60_000)

  it('oversized headers get 431, a POST 405 (its body unread), other paths 404', async () => {
    const { url } = await target()
    const big = await fetch(url, { headers: { 'x-big': 'a'.repeat(64 * 1024) }, signal: AbortSignal.timeout(10_000) }).catch((err: unknown) => err)
    // undici may see the connection close before the status line.
    if (big instanceof Response) expect(big.status).toBe(431)
    const post = await fetch(url, { method: 'POST', body: new Uint8Array(4 * 1024 * 1024), signal: AbortSignal.timeout(10_000) })
    expect(post.status).toBe(405)
    const other = await fetch(new URL('/debug', url), { signal: AbortSignal.timeout(10_000) })
    expect(other.status).toBe(404)
    await honestScrape(url)
  }, 30_000)
})
