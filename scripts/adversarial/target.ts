/**
 * A Veil node to attack, in its own process, measuring itself (used by
 * test/adversarial/; see test/adversarial/harness.ts for how to drive it):
 *
 *   node --expose-gc dist/scripts/adversarial/target.js [--dir DIR] [--storage BYTES]
 *     [--read-timeout MS] [--share-bytes N] [--bootstrap ADDR] [--lookup-timeout MS] [--holders N]
 *
 * First line on stdout: {"ready":true,"addr","peerId","link","sha256"} (link
 * and sha256 of a random file of --share-bytes it shares and serves). Then,
 * for each JSON line on stdin, one JSON line on stdout with the same "id":
 *
 *   {"id":1,"cmd":"reset"}  start a measuring window (after a GC when exposed)
 *   {"id":2,"cmd":"stats"}  the window's figures (TargetStats below)
 *   {"id":3,"cmd":"fetch","link":"veil://…","output":"/abs/path","limits":{…}}
 *                           fetch a share as a client: {ok, ms, files?, error?}
 *
 * Event-loop delay is perf_hooks.monitorEventLoopDelay's maximum over the
 * window (10 ms resolution), and that less the time the host kept the thread
 * waiting for a CPU (loop-monitor.ts); RSS is sampled every 50 ms and its
 * peak kept.
 * Stops on SIGTERM or when stdin closes, removing what it wrote.
 */
import '../../src/platform/index.js'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VeilNode } from '../../src/node/index.js'
import { writeRandomFile } from '../file-digest.js'
import { parseFlags } from '../bench/lib.js'
import { LoopMonitor } from './loop-monitor.js'

export interface TargetStats {
  /** Largest event-loop delay seen in the window (monitorEventLoopDelay), ms. */
  maxDelayMs: number
  p99DelayMs: number
  /** The same less the time the kernel kept the thread waiting for a CPU (see loop-monitor.ts), ms. */
  ownDelayMs: number
  /** Time the thread waited for a CPU over the window, ms (host load). */
  waitedMs: number
  /** RSS when the window began, its peak since and now (after a GC when asked), bytes. */
  rssBase: number
  rssPeak: number
  rss: number
  heapUsed: number
  /** JS heap in use when the window began (after a GC when exposed), bytes. */
  heapBase: number
  heapTotal: number
  /** Memory outside the JS heap that V8 knows of (Buffers and ArrayBuffers), bytes. */
  external: number
  /** ArrayBuffers (block bytes among them), bytes. */
  arrayBuffers: number
  connections: number
  /** Block exchange streams being served now. */
  activeStreams: number
  /** Block streams the server reset, by reason. */
  rejected: Record<string, number>
  /** Connections and streams the wire guard watched and reset. */
  wire: { watched: number, refused: number }
  /** Storage nodes: bytes used of capacity, and what each pusher uses. */
  storage?: { used: number, capacity: number, blocks: number, perPeer: number, topPeers: Array<{ peer: string, bytes: number }> }
  /** Blocks read from the store in the window (serving, proving), and their bytes. */
  reads: { blocks: number, bytes: number }
  /** Mutable links' records this node keeps for others (storage nodes). */
  heldRecords: number
  /** With --gateway: its figures (clients tracked, work in flight, refusals so far). */
  gateway?: ReturnType<NonNullable<VeilNode['gateway']>['status']>
}

const flags = parseFlags(process.argv.slice(2))
const number = (name: string): number | undefined => flags.has(name) ? Number(flags.get(name)) : undefined
const dir = flags.get('dir') ?? await mkdtemp(join(tmpdir(), 'veil-target-'))
const ownsDir = !flags.has('dir')
const storage = number('storage')
const rejected: Record<string, number> = {}

const node = await VeilNode.create({
  repo: storage === undefined ? undefined : join(dir, 'repo'),
  bootstrap: flags.has('bootstrap') ? [flags.get('bootstrap')!] : [],
  bootstrapTimeoutMs: 10_000,
  exchange: {
    readTimeoutMs: number('read-timeout') ?? 10_000,
    events: {
      onStreamRejected: (_peer, reason) => {
        const key = reason.replace(/[0-9]+/g, 'N').slice(0, 160)
        rejected[key] = (rejected[key] ?? 0) + 1
      }
    }
  },
  fetch: { lookupTimeoutMs: number('lookup-timeout') ?? 5_000, holdersPerUnit: number('holders') },
  storage: storage === undefined ? undefined : { capacity: storage, orphanGraceMs: 3_600_000, repairIntervalMs: 3_600_000, scrubIntervalMs: 3_600_000, gcIntervalMs: 3_600_000 },
  // --gateway: serve the HTTP gateway on 127.0.0.1 (its URL is in the ready line).
  gateway: flags.has('gateway') ? { host: '127.0.0.1', port: 0 } : undefined
})
await node.start()

// Count the store reads attacks cause (WANT and PROVE both read blocks).
const reads = { blocks: 0, bytes: 0 }
const storeGet = node.store.get.bind(node.store)
node.store.get = async (...args: Parameters<typeof storeGet>) => {
  const bytes = await storeGet(...args)
  reads.blocks++
  reads.bytes += bytes.length
  return bytes
}

let link: string | undefined
let sha256: string | undefined
const shareBytes = number('share-bytes') ?? 0
if (shareBytes > 0) {
  const input = join(dir, 'shared.bin')
  sha256 = await writeRandomFile(input, shareBytes)
  link = (await node.share(input, { replicas: 0 })).link
}

const delay = monitorEventLoopDelay({ resolution: 10 })
delay.enable()
const loop = new LoopMonitor()
loop.start()
let rssBase = process.memoryUsage().rss
let rssPeak = rssBase
let heapBase = process.memoryUsage().heapUsed
const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss) }, 50)
sampler.unref()

function reset (): { rss: number } {
  (globalThis as { gc?: () => void }).gc?.()
  delay.reset()
  loop.reset()
  rssBase = process.memoryUsage().rss
  rssPeak = rssBase
  heapBase = process.memoryUsage().heapUsed
  for (const key of Object.keys(rejected)) delete rejected[key]
  reads.blocks = 0
  reads.bytes = 0
  return { rss: rssBase }
}

async function stats (request: { gc?: boolean } = {}): Promise<TargetStats> {
  let memory = process.memoryUsage()
  rssPeak = Math.max(rssPeak, memory.rss)
  if (request.gc === true) {
    (globalThis as { gc?: () => void }).gc?.()
    memory = process.memoryUsage()
  }
  const status = node.storage === undefined ? undefined : await node.storage.status()
  return {
    gateway: node.gateway?.status(),
    maxDelayMs: delay.max / 1e6,
    p99DelayMs: delay.percentile(99) / 1e6,
    ownDelayMs: loop.maxOwnDelayMs,
    waitedMs: loop.waitedMs,
    rssBase,
    rssPeak,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapBase,
    heapTotal: memory.heapTotal,
    external: memory.external,
    arrayBuffers: memory.arrayBuffers,
    connections: node.libp2p.getConnections().length,
    activeStreams: node.exchange.activeStreams,
    rejected: { ...rejected },
    wire: { ...node.wireGuard.stats },
    storage: status === undefined ? undefined : { used: status.used, capacity: status.capacity, blocks: status.blocks, perPeer: status.perPeer, topPeers: status.topPeers },
    reads: { ...reads },
    heldRecords: node.names.heldRecords
  }
}

async function fetch (request: { link: string, output: string, limits?: Record<string, number> }): Promise<Record<string, unknown>> {
  const started = performance.now()
  try {
    const result = await node.get(request.link, { output: request.output, folderLimits: request.limits })
    return { ok: true, ms: performance.now() - started, files: result.files, bytesWritten: result.bytesWritten, banned: result.banned }
  } catch (err) {
    return { ok: false, ms: performance.now() - started, error: { name: (err as Error).name, message: (err as Error).message } }
  }
}

async function answer (line: string): Promise<void> {
  let request: { id?: unknown, cmd?: unknown } & Record<string, unknown>
  try { request = JSON.parse(line) } catch { return }
  const reply = request.cmd === 'reset'
    ? reset()
    : request.cmd === 'stats'
      ? await stats(request as { gc?: boolean })
      : request.cmd === 'fetch'
        ? await fetch(request as never)
        : { error: `unknown command ${String(request.cmd)}` }
  process.stdout.write(JSON.stringify({ id: request.id, ...reply }) + '\n')
}

let stopping: Promise<void> | undefined
async function stop (): Promise<void> {
  stopping ??= (async () => {
    clearInterval(sampler)
    delay.disable()
    loop.stop()
    await node.stop()
    if (ownsDir) await rm(dir, { recursive: true, force: true })
  })()
  await stopping
}

process.once('SIGTERM', () => { void stop().then(() => process.exit(0)) })
const input = createInterface({ input: process.stdin })
input.on('line', line => { void answer(line) })
input.once('close', () => { void stop().then(() => process.exit(0)) })

process.stdout.write(JSON.stringify({ ready: true, addr: node.addresses()[0]!.toString(), peerId: node.peerId.toString(), link, sha256, gateway: node.gateway?.url }) + '\n')
