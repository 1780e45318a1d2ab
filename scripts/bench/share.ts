/**
 * npm run bench:share [-- --mib 1024 --replicas 3]
 *
 * A light client (its own process) shares a generated file to R storage
 * nodes (separate processes) on loopback. In the same run it measures pushing
 * the same number of bytes, as blocks, to one storage node — the reference —
 * and prints the share's MB/s (until the link is returned), the ratio to that
 * reference, the DHT records the storage nodes published per GiB, and the
 * light client's peak RSS.
 *
 * `shareBench` is also one part of `npm run bench` (all.ts), which shares the
 * same file into the sharer's own node (R = 0), to one storage node (R = 1)
 * and to three (R = 3).
 */
import '../../src/platform/index.js'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { BenchChild } from './child.js'
import { GiB, MiB, figure, fmt, isMain, main, mbps, parseFlags, printTable, runBenches, runWorker, tempDir, writeRandomFile, type Bench, type Figure, type MemoryPeaks } from './lib.js'

interface ShareRun { shareMs: number, pushMs?: number, replicas: number, units: number, size: number, peakRss: number, memory: MemoryPeaks }

/** One share of `input` with R copies, on a fresh set of storage nodes. */
export interface ShareRunResult extends ShareRun {
  /** DHT records the storage nodes published. */
  published: number
  /** The storage nodes' peak RSS, bytes (Linux). */
  storagePeakRss: number[]
}

export interface ShareBenchOptions {
  size: number
  input?: string
  /** One share per value per run: 0 = into the sharer's own node; R ≥ 1 = to R storage nodes. */
  replicas: number[]
  /** Storage node processes for R copies. Default R + 1 (placement has a choice). */
  storageNodes?: (replicas: number) => number
  /** Also push `size` bytes as raw blocks to one storage node first (the reference). Default false. */
  referencePush?: boolean
  dir: string
}

export interface ShareFigures {
  replicas: number
  storageNodes: number
  mbps: Figure
  pushMbps?: Figure
  /** Fewest copies any run placed. */
  copiesPlaced: number
  units: number
  /** DHT records per GiB (the last run). */
  recordsPerGiB: number
  sharerPeakRss: number
  storagePeakRss: number
}

/**
 * Start `storageNodes` storage node processes (fresh, empty), share `input`
 * with `replicas` copies from a light client in its own process, stop the
 * nodes. With 0 replicas no storage node is started: the sharer keeps the share.
 */
export async function shareRun (input: string, size: number, replicas: number, storageNodes: number, dir: string, referencePush = false): Promise<ShareRunResult> {
  const children: BenchChild[] = []
  try {
    const nodes: Array<{ addr: string, peerId: string }> = []
    for (let i = 0; i < storageNodes; i++) {
      // One pusher (the benchmark's light client) may use the whole node.
      const args = ['--repo', join(dir, `storage-${i}`), '--storage', String(8 * size), '--per-peer', String(8 * size)]
      if (nodes.length > 0) args.push('--bootstrap', nodes[0]!.addr)
      const child = new BenchChild('../testnet/node.js', args)
      children.push(child)
      nodes.push(await child.next())
    }
    const args = ['--file', input, '--repo', join(dir, 'sharer'), '--replicas', String(replicas)]
    if (nodes.length > 0) args.push('--bootstrap', nodes[0]!.addr)
    // The reference goes to the last node: with R + 1 nodes, not always one of the share's holders.
    if (referencePush) args.push('--push-to', nodes[nodes.length - 1]!.peerId, '--push-bytes', String(size))
    const run = await runWorker<ShareRun>('share-worker.js', args)
    let published = 0
    for (const child of children) await child.stop()
    // Each node printed what it published as its last line.
    for (const child of children) published += (await child.next<{ published: number }>().catch(() => ({ published: 0 }))).published
    return { ...run, published, storagePeakRss: children.map(c => c.peakRss ?? 0) }
  } finally {
    await Promise.all(children.map(async child => { await child.stop() }))
    await rm(dir, { recursive: true, force: true })
  }
}

export function shareBench (options: ShareBenchOptions): Bench<ShareFigures[]> {
  const { size, dir } = options
  const nodesFor = options.storageNodes ?? ((r: number) => r === 0 ? 0 : r + 1)
  const runs = new Map<number, ShareRunResult[]>(options.replicas.map(r => [r, []]))
  const input = options.input ?? join(dir, 'share-input.bin')
  return {
    async setup () {
      if (options.input === undefined) await writeRandomFile(input, size)
    },
    async run (round) {
      for (const replicas of options.replicas) {
        runs.get(replicas)!.push(await shareRun(input, size, replicas, nodesFor(replicas), join(dir, `share-r${replicas}-${round}`), options.referencePush))
      }
    },
    result () {
      return options.replicas.map(replicas => {
        const results = runs.get(replicas)!
        const last = results[results.length - 1]!
        return {
          replicas,
          storageNodes: nodesFor(replicas),
          mbps: figure(results.map(r => mbps(size, r.shareMs))),
          pushMbps: options.referencePush === true ? figure(results.map(r => mbps(size, r.pushMs!))) : undefined,
          copiesPlaced: Math.min(...results.map(r => r.replicas)),
          units: last.units,
          recordsPerGiB: last.published / (size / GiB),
          sharerPeakRss: Math.max(...results.map(r => r.peakRss)),
          storagePeakRss: Math.max(0, ...results.flatMap(r => r.storagePeakRss))
        }
      })
    }
  }
}

function printShareBench (result: ShareFigures, size: number): void {
  console.log(`Veil share benchmark — ${size / MiB} MiB to R=${result.replicas} storage nodes (${result.storageNodes} node processes), loopback\n`)
  printTable([
    { what: `push ${size / MiB} MiB as blocks to one storage node (reference)`, 'MB/s': fmt(result.pushMbps!.median) },
    { what: `veil share to R=${result.replicas} (until the link is returned)`, 'MB/s': fmt(result.mbps.median) }
  ])
  console.log('')
  printTable([{
    'share / one-node push': fmt(result.mbps.median / result.pushMbps!.median, 2),
    'copies placed': result.copiesPlaced,
    units: result.units,
    'DHT records published per GiB': fmt(result.recordsPerGiB, 1),
    'light client peak RSS MB': fmt(result.sharerPeakRss / MiB, 0)
  }])
  console.log('\ntarget: ≤ 8 DHT records per GiB')
}

if (isMain(import.meta.url)) {
  await main(async () => {
    const flags = parseFlags(process.argv.slice(2))
    const size = Number(flags.get('mib') ?? 1024) * MiB
    const replicas = Number(flags.get('replicas') ?? 3)
    const bench = shareBench({ size, replicas: [replicas], referencePush: true, dir: await tempDir('veil-bench-share-') })
    await runBenches([bench], 1)
    printShareBench(bench.result()[0]!, size)
  })
}
