/**
 * npm run bench:rss [-- --gib 1,4] [-- --only fetch|share]
 *
 * Does memory stay flat in the file's size? For each size (1 GiB and 4 GiB
 * by default), on loopback, one process per role:
 *  - fetch: a holder shares the file into its own node; a fresh light client
 *    fetches it by link to a file (the transfer benchmark's processes);
 *  - share: a light client shares it to one storage node (the share
 *    benchmark's processes; R = 1, one storage node process).
 * Each reports its peak RSS (`maxRSS` when done) and the peaks of
 * `process.memoryUsage()` sampled every 250 ms (JS heap, external,
 * ArrayBuffers: where an RSS peak comes from). One run per size (a 4 GiB
 * round takes minutes); files are removed as soon as each step is done
 * (at most ~3× the largest size on disk at once).
 *
 * Also `npm run bench -- --rss`, which adds it after the rounds and puts
 * `fetchRss4GVs1G`, `shareRss4GVs1G` and the absolute peaks into the report.
 * Standalone it prints its table and the same ratios, and writes
 * bench-rss.json at the repository root. To see how memory moves over a
 * run, set VEIL_BENCH_MEMORY_TRACE=<file>: the fetcher and sharer append
 * every sample to it (ms since start, rss, heapUsed, external,
 * arrayBuffers, MB).
 */
import '../../src/platform/index.js'
import { rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { GiB, MiB, fmt, isMain, main, mbps, parseFlags, printTable, tempDir, writeRandomFile, type MemoryPeaks } from './lib.js'
import { fetchRun, startHolder } from './transfer.js'
import { shareRun } from './share.js'
import { evaluate, ratiosJson, targetText } from './ratios.js'

/** One role at one size: its peak RSS and memory parts (bytes), and its speed. */
export interface RssRun { size: number, peakRss: number, memory: MemoryPeaks, mbps: number }

export interface RssResult {
  fetch: RssRun[]
  share: RssRun[]
  /** The holders' peak RSS (serving one fetch each), bytes, by size. */
  holderPeakRss: number[]
  /** The storage node's peak RSS, bytes, by size. */
  storagePeakRss: number[]
}

export async function rssBench (sizes: number[], dir: string, log: (line: string) => void = () => {}, roles: { fetch?: boolean, share?: boolean } = {}): Promise<RssResult> {
  const result: RssResult = { fetch: [], share: [], holderPeakRss: [], storagePeakRss: [] }
  for (const size of sizes) {
    const input = join(dir, `rss-${size}.bin`)
    try {
      log(`RSS: writing a ${size / GiB} GiB file`)
      await writeRandomFile(input, size)
      if (roles.fetch !== false) {
        const repo = join(dir, `rss-holder-${size}`)
        const holder = await startHolder(repo, { input })
        try {
          log(`RSS: fetching ${size / GiB} GiB`)
          const run = await fetchRun(holder.addr, holder.link!, join(dir, 'rss-fetched.bin'))
          result.fetch.push({ size, peakRss: run.peakRss, memory: run.memory, mbps: mbps(run.bytes, run.ms) })
        } finally {
          await holder.child.stop()
          await rm(repo, { recursive: true, force: true })
        }
        result.holderPeakRss.push(holder.child.peakRss ?? 0)
      }
      if (roles.share !== false) {
        log(`RSS: sharing ${size / GiB} GiB to one storage node`)
        const share = await shareRun(input, size, 1, 1, join(dir, `rss-share-${size}`))
        if (share.replicas < 1) throw new Error('the RSS share placed no copy: its peak would not measure a share')
        result.share.push({ size, peakRss: share.peakRss, memory: share.memory, mbps: mbps(size, share.shareMs) })
        result.storagePeakRss.push(Math.max(0, ...share.storagePeakRss))
      }
    } finally {
      await rm(input, { force: true })
    }
  }
  return result
}

/** The values `ratios.ts` reads (MB): rssFetch1G/4G, rssShare1G/4G, and each role's highest. */
export function rssValues (r: RssResult): Map<string, number> {
  const values = new Map<string, number>()
  for (const [role, runs] of [['Fetch', r.fetch], ['Share', r.share]] as const) {
    for (const run of runs) {
      if (run.size === GiB || run.size === 4 * GiB) values.set(`rss${role}${run.size / GiB}G`, run.peakRss / MiB)
    }
    if (runs.length > 0) values.set(`rss${role}Peak`, Math.max(...runs.map(run => run.peakRss)) / MiB)
  }
  return values
}

/** One row per role and size, MB. */
export function rssRows (r: RssResult): Array<Record<string, string>> {
  const mb = (bytes: number): string => fmt(bytes / MiB, 0)
  return [...r.fetch.map(run => ({ ...run, role: 'fetcher (light client, 1 holder)' })), ...r.share.map(run => ({ ...run, role: 'sharer (light client, 1 storage node)' }))].map(run => ({
    role: run.role,
    file: `${run.size / GiB} GiB`,
    'peak RSS MB': mb(run.peakRss),
    'JS heap MB': mb(run.memory.heapUsed),
    'external MB': mb(run.memory.external),
    'ArrayBuffers MB': mb(run.memory.arrayBuffers),
    'MB/s': fmt(run.mbps)
  }))
}

if (isMain(import.meta.url)) {
  await main(async () => {
    const flags = parseFlags(process.argv.slice(2))
    const sizes = (flags.get('gib') ?? '1,4').split(',').map(g => Number(g) * GiB)
    const started = Date.now()
    const only = flags.get('only')
    const result = await rssBench(sizes, await tempDir('veil-bench-rss-'), line => { console.error(`bench:rss: ${line} (${Math.round((Date.now() - started) / 1000)} s)`) }, { fetch: only !== 'share', share: only !== 'fetch' })
    printTable(rssRows(result))
    const outcomes = evaluate(rssValues(result)).filter(o => o.name.includes('Rss'))
    console.log('')
    printTable(outcomes.map(o => ({ ratio: o.name, value: o.value === undefined ? `skipped: ${o.skipped}` : String(o.value), target: o.target === undefined ? '' : targetText(o.target, o.kind), met: o.met === undefined ? '' : o.met ? 'met' : 'NOT met' })))
    const file = join(fileURLToPath(new URL('../../../', import.meta.url)), 'bench-rss.json')
    await writeFile(file, JSON.stringify({ date: new Date().toISOString(), sizes, ...result, ...ratiosJson(outcomes) }, null, 2) + '\n')
    console.log(`written: ${file}`)
  })
}
