/**
 * The adversarial harness: a real Veil node in a child process (the target,
 * scripts/adversarial/target.ts) attacked over loopback by plain libp2p
 * peers in the test process. Every attack asserts the target's own figures
 * (event-loop delay and RSS, measured inside it) and that an honest fetch
 * still succeeds right after.
 *
 * The shape of every attack test:
 *
 *   const target = await startTarget({ shareBytes: 2 * MiB, readTimeoutMs: 2_000 })
 *   const attacker = await startAttacker()
 *   await target.reset()                      // open the measuring window
 *   ...attack with attacker.stream(target, BLOCK_PROTOCOL) / rawStream / rawTcp...
 *   await expectWithinBudget(target, 'name of the attack')   // < 200 ms, < 64 MiB
 *   await expectLegitFetch(target)            // an honest client still gets the share
 *
 * Adding the storage attacks (PUT flood past the per-peer budget, PROVE
 * amplification, a busy holder): start the target as a storage node with a
 * small quota, `startTarget({ storageBytes: 8 * MiB })` (it then has a repo
 * and reports `stats().storage.used` / `.capacity`); open block streams with
 * `attacker.stream(target, BLOCK_PROTOCOL)` and write frames built with
 * src/protocol/messages.ts and put-messages.ts (`encodePut`,
 * `blockHeader(MessageType.Push, …)`, `encodeProve`) through `frameStream`
 * (src/protocol/frames.ts), or use
 * `pushBlocks` / `proveBlocks` from src/protocol/client.ts directly on the
 * stream. Then assert `stats.storage.used` against the budget next to
 * `expectWithinBudget`. `stats.rejected` counts the block streams the server
 * reset, by reason; `stats.wire` what the wire guard refused. Several
 * attackers: call startAttacker() more than once (each is its own peer id).
 * Figures are printed, and appended as JSON lines to the file named by
 * VEIL_ADVERSARIAL_REPORT when set (docs/security.md was filled from them).
 */
import { expect, onTestFinished } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { access, appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, type Socket } from 'node:net'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Stream } from '@libp2p/interface'
import type { TargetStats } from '../../scripts/adversarial/target.js'
import { addressOf, startNode } from '../helpers/swarm.js'
import { tempDir, sha256File } from '../helpers/files.js'
import { blockProtocol } from '../../src/swarm/index.js'

export const MiB = 1024 * 1024
export const BLOCK_PROTOCOL = blockProtocol()
export const DHT_PROTOCOL = '/veil/kad/1.0.0'
/** The budget for a node under attack. */
export const MAX_LOOP_DELAY_MS = 200
export const MAX_RSS_GROWTH = 64 * MiB

const TARGET_SCRIPT = join(import.meta.dirname, '../../dist/scripts/adversarial/target.js')

export interface TargetInit {
  /** Share a random file of this size from the target (for honest fetches). */
  shareBytes?: number
  /** The block exchange's read deadline on the target. Default 10 s. */
  readTimeoutMs?: number
  /** Make the target a storage node giving this many bytes. */
  storageBytes?: number
  /**
   * Join through this peer. Default: a fresh node in the test process (the
   * swarm's DHT: a lone node cannot answer for its own records), which
   * honest clients then bootstrap from too.
   */
  bootstrap?: string
  lookupTimeoutMs?: number
  /** Holders a fetch looks for per unit before its look-up stops (default 3). */
  holdersPerUnit?: number
  /** Serve the HTTP gateway too (`target.gateway` is its URL). */
  gateway?: boolean
}

export interface FetchReply { ok: boolean, ms: number, files?: number, bytesWritten?: number, banned?: string[], error?: { name: string, message: string } }

export class Target {
  private nextId = 1
  private readonly waiting = new Map<number, (value: unknown) => void>()
  readonly exited: Promise<void>

  constructor (
    private readonly child: ChildProcess,
    lines: AsyncIterable<string>,
    readonly addr: string,
    readonly peerId: string,
    readonly link: string | undefined,
    readonly sha256: string | undefined,
    /** The peer it joined through: where honest clients join too. */
    readonly bootstrap: string,
    /** Its HTTP gateway's URL, when started with `gateway`. */
    readonly gateway?: string
  ) {
    this.exited = new Promise(resolve => { child.once('exit', () => { resolve() }) })
    void (async () => {
      for await (const line of lines) {
        let reply: { id?: number }
        try { reply = JSON.parse(line) } catch { continue }
        if (typeof reply.id === 'number') this.waiting.get(reply.id)?.(reply)
      }
    })()
  }

  /** The TCP port it listens on (for raw-socket attacks). */
  get port (): number {
    return Number(multiaddr(this.addr).getComponents().find(c => c.name === 'tcp')!.value)
  }

  async request<T> (cmd: string, fields: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++
    const reply = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting.delete(id); reject(new Error(`the target did not answer "${cmd}" within ${timeoutMs} ms`)) }, timeoutMs)
      void this.exited.then(() => { clearTimeout(timer); reject(new Error(`the target exited before answering "${cmd}"`)) })
      this.waiting.set(id, value => { clearTimeout(timer); this.waiting.delete(id); resolve(value as T) })
    })
    this.child.stdin!.write(JSON.stringify({ id, cmd, ...fields }) + '\n')
    return await reply
  }

  /** Open a measuring window: event-loop delay and peak RSS start over (after a GC). */
  async reset (): Promise<void> { await this.request('reset') }
  /** The window's figures; `gc`: collect garbage first, so `rss` and `heapUsed` show what is retained. */
  async stats (gc = false): Promise<TargetStats> { return await this.request<TargetStats>('stats', { gc }) }
  async fetch (link: string, output: string, limits?: Record<string, number>, timeoutMs = 60_000): Promise<FetchReply> {
    return await this.request<FetchReply>('fetch', { link, output, limits }, timeoutMs)
  }

  async stop (): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM')
    const killer = setTimeout(() => { this.child.kill('SIGKILL') }, 10_000)
    await this.exited
    clearTimeout(killer)
  }
}

/** Start a target node in its own process; it is stopped when the test finishes. */
export async function startTarget (init: TargetInit = {}): Promise<Target> {
  await access(TARGET_SCRIPT).catch(() => { throw new Error('dist/ is missing: run `npm run build` (npm test does it first)') })
  const args = ['--expose-gc', TARGET_SCRIPT]
  if (init.shareBytes !== undefined) args.push('--share-bytes', String(init.shareBytes))
  if (init.readTimeoutMs !== undefined) args.push('--read-timeout', String(init.readTimeoutMs))
  if (init.storageBytes !== undefined) args.push('--storage', String(init.storageBytes))
  const bootstrap = init.bootstrap ?? addressOf(await startNode())
  args.push('--bootstrap', bootstrap)
  if (init.lookupTimeoutMs !== undefined) args.push('--lookup-timeout', String(init.lookupTimeoutMs))
  if (init.holdersPerUnit !== undefined) args.push('--holders', String(init.holdersPerUnit))
  if (init.gateway === true) args.push('--gateway')
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const first = await Promise.race([
    lines.next(),
    new Promise<never>((_resolve, reject) => { child.once('exit', code => { reject(new Error(`the target exited (${code}) before it was ready`)) }) })
  ])
  const ready = JSON.parse(String(first.value)) as { addr: string, peerId: string, link?: string, sha256?: string, gateway?: string }
  const target = new Target(child, { [Symbol.asyncIterator]: () => lines }, ready.addr, ready.peerId, ready.link, ready.sha256, bootstrap, ready.gateway)
  onTestFinished(async () => { await target.stop() })
  return target
}

export interface Attacker {
  libp2p: Libp2p
  /** A connection to the target (reused). */
  connect(target: Target): Promise<Connection>
  /** A stream on `protocol`, negotiated as any peer would. */
  stream(target: Target, protocol: string): Promise<Stream>
  /** A stream with no protocol negotiated: its bytes reach multistream-select itself. */
  rawStream(target: Target): Promise<Stream>
}

/** A plain libp2p peer (TCP, Noise, Yamux; nothing else); stopped when the test finishes. */
export async function startAttacker (): Promise<Attacker> {
  const libp2p = await createLibp2p({
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { maxConnections: 1000 }
  })
  onTestFinished(async () => { await libp2p.stop() })
  const connect = async (target: Target): Promise<Connection> => await libp2p.dial(multiaddr(target.addr), { signal: AbortSignal.timeout(10_000) })
  return {
    libp2p,
    connect,
    stream: async (target, protocol) => await (await connect(target)).newStream(protocol, { signal: AbortSignal.timeout(10_000), maxOutboundStreams: 10_000 }),
    rawStream: async (target) => {
      const muxer = (await connect(target) as unknown as { muxer: { createStream(): Promise<Stream> } }).muxer
      return await muxer.createStream()
    }
  }
}

/** Resolves when the stream is closed or reset by either side. */
export async function ended (stream: Stream, timeoutMs = 30_000): Promise<void> {
  if (stream.status !== 'open') return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`the stream was still open after ${timeoutMs} ms`)) }, timeoutMs)
    stream.addEventListener('close', () => { clearTimeout(timer); resolve() }, { once: true })
  })
}

/**
 * Send `chunk` over and over until `limit` bytes went out or the target
 * ended the stream; returns the bytes the target took.
 */
export async function flood (stream: Stream, chunk: Uint8Array, limit: number): Promise<number> {
  let sent = 0
  try {
    while (sent < limit && stream.status === 'open' && stream.writeStatus === 'writable') {
      if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(10_000) })
      sent += chunk.length
    }
  } catch {
    // reset by the target: what most attacks should come to
  }
  return sent
}

/** A bare TCP socket to the target: bytes before any handshake. */
export async function rawTcp (target: Target): Promise<Socket> {
  const socket = connect(target.port, '127.0.0.1')
  socket.on('error', () => {})
  onTestFinished(() => { socket.destroy() })
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  return socket
}

/** Resolves when the target closed (or reset) the socket. */
export async function socketClosed (socket: Socket, timeoutMs = 30_000): Promise<void> {
  if (socket.destroyed || socket.readableEnded) return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`the socket was still open after ${timeoutMs} ms`)) }, timeoutMs)
    socket.once('close', () => { clearTimeout(timer); resolve() })
    socket.resume()
  })
}

export interface Figures { attack: string, maxDelayMs: number, ownDelayMs: number, rssGrowthMiB: number, [key: string]: unknown }

/**
 * Read the target's figures for the window and assert the budget: event-loop
 * delay under 200 ms, RSS growth under 64 MiB. Prints them (and appends them
 * to $VEIL_ADVERSARIAL_REPORT).
 *
 * The delay asserted is the one the node causes itself: the wall-clock delay
 * less the time the kernel kept its thread waiting for a CPU (see
 * scripts/adversarial/loop-monitor.ts). On an idle machine the two are the
 * same; with other suites running on the same 2 cores the wall-clock figure
 * also measures them (seen: 264 ms wall, 16 ms own, load 8), and a test
 * that fails only under load would be a defect of its own.
 */
export async function expectWithinBudget (target: Target, attack: string, extra: Record<string, unknown> = {}): Promise<TargetStats> {
  const stats = await target.stats()
  const figures: Figures = {
    attack,
    maxDelayMs: Math.round(stats.maxDelayMs),
    ownDelayMs: Math.round(stats.ownDelayMs),
    waitedMs: Math.round(stats.waitedMs),
    rssGrowthMiB: Math.round((stats.rssPeak - stats.rssBase) / MiB * 10) / 10,
    ...extra
  }
  console.log(`[adversarial] ${attack}: event loop max ${figures.maxDelayMs} ms (own ${figures.ownDelayMs} ms, waited for a CPU ${figures.waitedMs as number} ms), RSS +${figures.rssGrowthMiB} MiB`, JSON.stringify({ wire: stats.wire, rejected: stats.rejected, ...extra }))
  const report = process.env.VEIL_ADVERSARIAL_REPORT
  if (report !== undefined && report !== '') await appendFile(report, JSON.stringify({ ...figures, at: new Date().toISOString() }) + '\n')
  expect(stats.ownDelayMs, `${attack}: event-loop delay`).toBeLessThan(MAX_LOOP_DELAY_MS)
  expect(stats.rssPeak - stats.rssBase, `${attack}: RSS growth`).toBeLessThan(MAX_RSS_GROWTH)
  return stats
}

/** An honest client fetches the target's share by link and gets every byte. */
export async function expectLegitFetch (target: Target): Promise<number> {
  if (target.link === undefined) throw new Error('start the target with shareBytes to fetch from it')
  const client = await startNode({ bootstrap: [target.bootstrap], fetch: { lookupTimeoutMs: 10_000 } })
  const output = join(await tempDir(), 'fetched.bin')
  const started = performance.now()
  await client.get(target.link, { output, signal: AbortSignal.timeout(30_000) })
  expect(await sha256File(output)).toBe(target.sha256)
  return performance.now() - started
}
