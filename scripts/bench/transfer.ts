/**
 * npm run bench:transfer [-- --mib 1024 --runs 3]
 *
 * Two or more node processes on loopback, in one run:
 *  (a) a raw libp2p stream (tcp + noise + yamux) pushing the bytes — the ceiling;
 *  (b) Veil fetching a share of that size from one holder;
 *  (c) from three holders.
 * Prints MB/s, (b)/(a), (c)/(b), time to first byte and the fetcher's peak RSS.
 *
 * `transferBench` is also one part of `npm run bench` (all.ts), which adds a
 * bare TCP stream between two processes as the machine's limit, and (b) in a
 * private swarm (a swarm key: pnet on every connection), interleaved with
 * the public (b) in the same rounds.
 */
import '../../src/platform/index.js'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { parseLink } from '../../src/link/index.js'
import { createSwarmKey } from '../../src/swarm/index.js'
import { MiB, figure, fmt, isMain, main, mbps, parseFlags, printTable, range, runBenches, tempDir, writeRandomFile, type Bench, type Figure, type MemoryPeaks } from './lib.js'
import { BenchChild } from './child.js'

export interface FetchRun { ms: number, ttfbMs: number, bytes: number, peakRss: number, memory: MemoryPeaks, perPeer: Record<string, number> }
interface StreamRun { ms: number, bytes: number, peakRss: number }

export interface TransferBenchOptions {
  size: number
  /** The file to share (written by the bench when absent). */
  input?: string
  /** Also measure a bare TCP stream between two processes. Default false. */
  tcp?: boolean
  /** Also fetch from one holder in a private swarm (its own holder, a fresh swarm key). Default false. */
  private?: boolean
  dir: string
}

/** Peak RSS in bytes: the highest over runs, per process role. */
export interface FetchFigures {
  mbps: Figure
  ttfbMs: Figure
  fetcherPeakRss: number
  /** Blocks each holder served in the last run. */
  blocksPerHolder: number[]
}

export interface TransferBenchResult {
  size: number
  libp2p: Figure & { peakRss: number }
  tcp?: Figure & { peakRss: number }
  oneHolder: FetchFigures
  threeHolders: FetchFigures
  /** One holder in a private swarm (with `private`). */
  privateOneHolder?: FetchFigures
  /** The holders' own share of the file (into their own node), ms, and their peak RSS after serving every run. */
  holderShareMs: number[]
  holderPeakRss: { one: number, three: number, private?: number }
}

/** One stream of `size` bytes between two fresh processes: libp2p (tcp+noise+yamux) or bare TCP. */
export async function streamRun (kind: 'libp2p' | 'tcp', size: number): Promise<StreamRun> {
  const role = kind === 'libp2p' ? 'raw' : 'tcp'
  const recv = new BenchChild('transfer-worker.js', ['--role', `${role}-recv`, '--bytes', String(size)])
  let send: BenchChild | undefined
  try {
    const { addr } = await recv.next<{ addr: string }>()
    send = new BenchChild('transfer-worker.js', ['--role', `${role}-send`, '--to', addr, '--bytes', String(size)])
    return await recv.next<StreamRun>()
  } finally {
    await send?.stop()
    await recv.stop()
  }
}

/**
 * Where a holder or fetcher runs: `args` are passed on to transfer-worker
 * (`--swarm-key HEX`, `--listen ADDR`), `ns` is a network namespace to run in.
 */
export interface WorkerPlace { args?: string[], ns?: string }

/** A Veil node in its own process that shares `input` (or copies `hold` from `bootstrap`) and serves it. */
export async function startHolder (repo: string, how: { input: string } | { hold: string, bootstrap: string }, env: NodeJS.ProcessEnv = {}, place: WorkerPlace = {}): Promise<{ child: BenchChild, addr: string, link?: string, ms: number }> {
  const args = 'input' in how ? ['--file', how.input] : ['--hold', how.hold, '--bootstrap', how.bootstrap]
  const child = new BenchChild('transfer-worker.js', ['--role', 'holder', ...args, '--repo', repo, ...(place.args ?? [])], env, place.ns)
  const ready = await child.next<{ addr: string, link?: string, ms: number }>()
  return { child, ...ready }
}

/** Veil fetching `link` in a fresh process that joins through `bootstrap`, writing to `out` (removed after). */
export async function fetchRun (bootstrap: string, link: string, out: string, env: NodeJS.ProcessEnv = {}, place: WorkerPlace = {}): Promise<FetchRun> {
  const fetcher = new BenchChild('transfer-worker.js', ['--role', 'fetch', '--bootstrap', bootstrap, '--link', link, '--out', out, ...(place.args ?? [])], env, place.ns)
  try {
    const result = await fetcher.next<FetchRun>()
    if (result.bytes <= 0) throw new Error('the fetch returned no bytes')
    return result
  } finally {
    await fetcher.stop()
    await rm(out, { force: true })
  }
}

/** MB/s and first-byte figures over fetch runs, the fetcher's highest peak RSS, the last run's blocks per holder. */
export function fetchFigures (runs: FetchRun[]): FetchFigures {
  return {
    mbps: figure(runs.map(r => mbps(r.bytes, r.ms))),
    ttfbMs: figure(runs.map(r => r.ttfbMs)),
    fetcherPeakRss: Math.max(...runs.map(r => r.peakRss)),
    blocksPerHolder: Object.values(runs[runs.length - 1]!.perPeer)
  }
}

/**
 * Two swarms on loopback so one- and three-holder fetches can alternate:
 * one holder that shared the file, and three holders (one shared it, two
 * copied it); with `private`, a third: one holder in a private swarm. Each
 * run: the raw stream(s), a fetch from the one holder and one from the
 * private holder (which goes first alternates by round), a fetch from the three.
 */
export function transferBench (options: TransferBenchOptions): Bench<TransferBenchResult> {
  const { size, dir } = options
  const holders: BenchChild[] = []
  const swarms: Array<{ addr: string, link: string }> = []
  const shareMs: number[] = []
  const raw: StreamRun[] = []
  const tcp: StreamRun[] = []
  const one: FetchRun[] = []
  const three: FetchRun[] = []
  const priv: FetchRun[] = []
  // A fresh swarm key per run: pnet on every connection of that swarm.
  const privateArgs = ['--swarm-key', Buffer.from(createSwarmKey()).toString('hex')]
  let privateSwarm: { child: BenchChild, addr: string, link: string } | undefined
  const streamFigure = (runs: StreamRun[]): Figure & { peakRss: number } => ({ ...figure(runs.map(r => mbps(r.bytes, r.ms))), peakRss: Math.max(...runs.map(r => r.peakRss)) })
  return {
    async setup () {
      const input = options.input ?? join(dir, 'transfer-input.bin')
      if (options.input === undefined) await writeRandomFile(input, size)
      for (const name of ['one', 'three']) {
        const first = await startHolder(join(dir, `holder-${name}-1`), { input })
        holders.push(first.child)
        shareMs.push(first.ms)
        swarms.push({ addr: first.addr, link: first.link! })
      }
      const cid = parseLink(swarms[1]!.link).cid.toString()
      for (const i of [2, 3]) holders.push((await startHolder(join(dir, `holder-three-${i}`), { hold: cid, bootstrap: swarms[1]!.addr })).child)
      if (options.private === true) {
        const started = await startHolder(join(dir, 'holder-private'), { input }, {}, { args: privateArgs })
        privateSwarm = { child: started.child, addr: started.addr, link: started.link! }
      }
    },
    async run (round) {
      raw.push(await streamRun('libp2p', size))
      if (options.tcp === true) tcp.push(await streamRun('tcp', size))
      const fetchPublic = async (): Promise<void> => { one.push(await fetchRun(swarms[0]!.addr, swarms[0]!.link, join(dir, 'fetched.bin'))) }
      const fetchPrivate = async (): Promise<void> => {
        if (privateSwarm !== undefined) priv.push(await fetchRun(privateSwarm.addr, privateSwarm.link, join(dir, 'fetched.bin'), {}, { args: privateArgs }))
      }
      for (const fetch of round % 2 === 0 ? [fetchPublic, fetchPrivate] : [fetchPrivate, fetchPublic]) await fetch()
      three.push(await fetchRun(swarms[1]!.addr, swarms[1]!.link, join(dir, 'fetched.bin')))
    },
    result () {
      return {
        size,
        libp2p: streamFigure(raw),
        tcp: options.tcp === true ? streamFigure(tcp) : undefined,
        oneHolder: fetchFigures(one),
        threeHolders: fetchFigures(three),
        privateOneHolder: priv.length > 0 ? fetchFigures(priv) : undefined,
        holderShareMs: shareMs,
        holderPeakRss: { one: holders[0]?.peakRss ?? 0, three: Math.max(...holders.slice(1).map(h => h.peakRss ?? 0)), private: privateSwarm?.child.peakRss }
      }
    },
    async close () {
      await Promise.all([...holders, ...(privateSwarm === undefined ? [] : [privateSwarm.child])].map(async holder => { await holder.stop() }))
    }
  }
}

function printTransferBench (result: TransferBenchResult, runs: number): void {
  const { libp2p, oneHolder: one, threeHolders: three } = result
  console.log(`Veil transfer benchmark — ${result.size / MiB} MiB, ${runs} run(s), medians; all measured in this run\n`)
  printTable([
    { what: '(a) raw libp2p stream, tcp+noise+yamux, 2 processes', 'MB/s': fmt(libp2p.median), 'min–max': range(libp2p), 'first byte ms': '', 'fetcher peak RSS MB': '' },
    { what: '(b) Veil fetch from 1 holder', 'MB/s': fmt(one.mbps.median), 'min–max': range(one.mbps), 'first byte ms': fmt(one.ttfbMs.median), 'fetcher peak RSS MB': fmt(one.fetcherPeakRss / MiB, 0) },
    { what: '(c) Veil fetch from 3 holders', 'MB/s': fmt(three.mbps.median), 'min–max': range(three.mbps), 'first byte ms': fmt(three.ttfbMs.median), 'fetcher peak RSS MB': fmt(three.fetcherPeakRss / MiB, 0) }
  ])
  console.log('')
  printTable([{ '(b)/(a)': fmt(one.mbps.median / libp2p.median, 2), '(c)/(b)': fmt(three.mbps.median / one.mbps.median, 2), 'blocks per holder in (c), last run': three.blocksPerHolder.join(' / ') }])
  console.log('\ntargets: (b) ≥ 0.8× (a); (c) ≥ 1.3× (b); fetcher peak RSS under 250 MB')
}

if (isMain(import.meta.url)) {
  await main(async () => {
    const flags = parseFlags(process.argv.slice(2))
    const runs = Number(flags.get('runs') ?? 3)
    const bench = transferBench({ size: Number(flags.get('mib') ?? 1024) * MiB, dir: await tempDir('veil-bench-transfer-') })
    await runBenches([bench], runs)
    printTransferBench(bench.result(), runs)
  })
}
