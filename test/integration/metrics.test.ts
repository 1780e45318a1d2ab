/**
 * `veil node start --metrics`: a scrape is Prometheus text that parses, with
 * libp2p's metrics and Veil's own, and the numbers move when the node works
 * (a share pushed to it, a fetch served by it, a push refused).
 */
import { describe, it, expect, onTestFinished } from 'vitest'
import { join } from 'node:path'
import { startNode, addressOf, TEST_NODE } from '../helpers/swarm.js'
import { TEST_STORAGE } from '../helpers/storage.js'
import { tempDir, writeRandomFile } from '../helpers/files.js'
import { VeilNode } from '../../src/node/index.js'
import { MetricsServer, VeilMetrics } from '../../src/metrics/index.js'
import { startDaemon } from '../cli/helpers.js'

type Samples = Map<string, number>

/** Parse Prometheus text exposition: every sample line, `name{labels} value`; throws on a malformed line. */
export function parsePrometheus (text: string): Samples {
  const samples: Samples = new Map()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) {
      if (line.startsWith('# TYPE ') && !/^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$/.test(line)) throw new Error(`bad TYPE line: ${line}`)
      continue
    }
    // Prometheus reads values with Go's ParseFloat: NaN in any case (prom-client
    // prints an event-loop mean with no sample yet as `Nan`), ±Inf.
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|[Nn][Aa][Nn]|\+Inf|-Inf)$/.exec(line)
    if (match === null) throw new Error(`not a Prometheus sample: ${line}`)
    samples.set(`${match[1]!}${match[2] ?? ''}`, Number(match[3]))
  }
  return samples
}

async function scrape (url: string): Promise<Samples> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
  return parsePrometheus(await response.text())
}

describe('metrics', () => {
  it('a scrape parses and moves: pushes accepted and refused, blocks and bytes stored and served, store usage, connections', async () => {
    const dir = await tempDir()
    const bootstrap = await startNode()
    const metrics = new VeilMetrics({ processMetrics: false })
    const storage = await VeilNode.create({ ...TEST_NODE, repo: join(dir, 'storage'), bootstrap: [addressOf(bootstrap)], storage: { ...TEST_STORAGE, capacity: 8 * 1024 * 1024, perPeer: 8 * 1024 * 1024 }, libp2pMetrics: metrics.libp2p() })
    onTestFinished(async () => { await storage.stop() })
    await storage.start()
    metrics.attach(storage)
    const server = new MetricsServer(metrics, '127.0.0.1', 0)
    const url = await server.start()
    onTestFinished(async () => { await server.stop() })
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)

    const before = await scrape(url)
    expect(before.get('veil_pushes_accepted_total')).toBe(0)
    expect(before.get('veil_storage_capacity_bytes')).toBe(8 * 1024 * 1024)
    expect(before.get('veil_storage_used_bytes')).toBe(0)
    expect([...before.keys()].some(name => name.startsWith('libp2p_'))).toBe(true)

    const client = await startNode({ bootstrap: [addressOf(storage)], dhtServer: false, listen: [] })
    await writeRandomFile(join(dir, 'a.bin'), 2 * 1024 * 1024)
    const shared = await client.share(join(dir, 'a.bin'), { replicas: 1 })
    expect(shared.replicas).toBe(1)
    // Too big for what is left: refused at the PUT header, with a reason.
    await writeRandomFile(join(dir, 'big.bin'), 7 * 1024 * 1024)
    const refused = await client.share(join(dir, 'big.bin'), { replicas: 1 })
    expect(refused.replicas).toBe(0)
    const reader = await startNode({ bootstrap: [addressOf(storage)], dhtServer: false, listen: [] })
    await reader.get(shared.link, { output: join(dir, 'out.bin') })

    const after = await scrape(url)
    expect(after.get('veil_pushes_accepted_total')).toBeGreaterThan(0)
    expect(after.get('veil_pushed_bytes_stored_total')).toBeGreaterThan(2 * 1024 * 1024)
    expect(after.get('veil_storage_used_bytes')).toBeGreaterThan(2 * 1024 * 1024)
    expect(after.get('veil_storage_units')).toBe(1)
    expect(after.get('veil_bytes_served_total')).toBeGreaterThan(2 * 1024 * 1024)
    expect([...after].filter(([name]) => name.startsWith('veil_pushes_refused_total{')).reduce((sum, [, v]) => sum + v, 0)).toBeGreaterThan(0)
    expect(after.get('veil_connections{path="direct"}')).toBeGreaterThan(0)
    expect(after.get('veil_connections{path="relayed"}')).toBe(0)
  }, 90_000)

  it('veil node start --metrics serves them and says where', async () => {
    const dir = await tempDir()
    const daemon = await startDaemon(join(dir, 'repo'), ['--storage', '64MiB', '--metrics', '127.0.0.1:0'])
    const url = (await daemon.proc.waitFor(/metrics on (http:\/\/\S+\/metrics)/, 20_000, 'stderr'))[1]
    expect(url).toBeDefined()
    const samples = await scrape(url!)
    expect(samples.get('veil_storage_capacity_bytes')).toBe(64 * 1024 * 1024)
    expect(samples.has('process_cpu_user_seconds_total')).toBe(true)
  }, 60_000)
})
