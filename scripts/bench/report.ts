/**
 * The report of `npm run bench`: every figure, the peak RSS of each process,
 * and the ratios against their targets, as Markdown (bench-report.md, also
 * printed) and JSON (bench-report.json, for scripts: `ratios` holds plain
 * numbers).
 */
import { cpus, totalmem, type } from 'node:os'
import { MiB, fmt, range, tableLines, type Figure } from './lib.js'
import type { ImportBenchResult } from './import.js'
import type { TransferBenchResult } from './transfer.js'
import type { HeliaBenchResult } from './helia.js'
import type { ShareFigures } from './share.js'
import { CATEGORIES } from './profile.js'
import type { ProfileResult } from './profile-run.js'
import { gatewayRows, memoryLine, type GatewayBenchResult } from './gateway.js'
import type { LimitedBenchResult } from './limited.js'
import { rssRows, rssValues, type RssResult } from './rss.js'
import { evaluate, ratiosJson, targetText, type RatioOutcome } from './ratios.js'

export interface BenchResults {
  mode: 'full' | 'quick'
  runs: number
  size: number
  limits: ImportBenchResult
  transfer: TransferBenchResult
  helia: HeliaBenchResult
  shares: ShareFigures[]
  /** With --profile: where a fetcher's and a holder's time went. */
  profile?: ProfileResult
  /** The gateway page in Chromium against the CLI (absent when not run). */
  gateway?: GatewayBenchResult
  /** Fetching from rate-limited holders in network namespaces (absent when not run; `skipped` when not root). */
  limited?: LimitedBenchResult
  /** With --rss: peak RSS of a fetch and a share of 1 GiB and 4 GiB files. */
  rss?: RssResult
  durationMs: number
  date: Date
  /**
   * Other work on the machine skews every figure: the 1-minute load average
   * when the run started, and the cores other processes (and the kernel,
   * and the hypervisor's steal) kept busy on average during the run.
   */
  load: { start: number, otherCores: number }
}

interface Row { key: string, section: 'limits' | 'helia' | 'veil' | 'limited', label: string, unit: 'MB/s' | 'ms', figure: Figure, ttfbMs?: Figure }

function rows (r: BenchResults): Row[] {
  const mib = `${r.size / MiB} MiB`
  const share = (replicas: number): ShareFigures => {
    const found = r.shares.find(s => s.replicas === replicas)
    if (found === undefined) throw new Error(`no share figures for R=${replicas}`)
    return found
  }
  return [
    { key: 'aesSeal', section: 'limits', label: 'AES-256-GCM seal, 1 MiB blocks, one thread', unit: 'MB/s', figure: r.limits.aesSeal },
    { key: 'aesOpen', section: 'limits', label: 'AES-256-GCM open, 1 MiB blocks, one thread', unit: 'MB/s', figure: r.limits.aesOpen },
    { key: 'sha256', section: 'limits', label: 'SHA-256, 1 MiB, one thread', unit: 'MB/s', figure: r.limits.sha256 },
    { key: 'levelWrite', section: 'limits', label: 'level batch write, 1 MiB values', unit: 'MB/s', figure: r.limits.levelWrite },
    { key: 'tcp', section: 'limits', label: `raw TCP, 2 processes, ${mib}`, unit: 'MB/s', figure: r.transfer.tcp! },
    { key: 'libp2pStream', section: 'limits', label: `raw libp2p stream (tcp+noise+yamux), 2 processes, ${mib}`, unit: 'MB/s', figure: r.transfer.libp2p },
    { key: 'heliaAdd', section: 'helia', label: `Helia add ${mib} (unixfs, ${r.helia.blockstore} blockstore)`, unit: 'MB/s', figure: r.helia.add },
    { key: 'heliaCat', section: 'helia', label: `Helia cat ${mib} over bitswap, 1 peer`, unit: 'MB/s', figure: r.helia.cat, ttfbMs: r.helia.catTtfbMs },
    { key: 'veilShareLocal', section: 'veil', label: `Veil share ${mib} into its own node`, unit: 'MB/s', figure: share(0).mbps },
    { key: 'veilShareR1', section: 'veil', label: `Veil share ${mib} to 1 storage node`, unit: 'MB/s', figure: share(1).mbps },
    { key: 'veilShareR3', section: 'veil', label: `Veil share ${mib} to R=3 storage nodes`, unit: 'MB/s', figure: share(3).mbps },
    { key: 'veilFetchOneHolder', section: 'veil', label: `Veil fetch ${mib} by link, 1 holder`, unit: 'MB/s', figure: r.transfer.oneHolder.mbps, ttfbMs: r.transfer.oneHolder.ttfbMs },
    { key: 'veilFetchThreeHolders', section: 'veil', label: `Veil fetch ${mib} by link, 3 holders`, unit: 'MB/s', figure: r.transfer.threeHolders.mbps, ttfbMs: r.transfer.threeHolders.ttfbMs },
    ...(r.transfer.privateOneHolder === undefined
      ? []
      : [{ key: 'veilFetchOneHolderPrivate', section: 'veil' as const, label: `Veil fetch ${mib} by link, 1 holder, private swarm (pnet)`, unit: 'MB/s' as const, figure: r.transfer.privateOneHolder.mbps, ttfbMs: r.transfer.privateOneHolder.ttfbMs }]),
    ...(r.limited?.oneHolder === undefined || r.limited.threeHolders === undefined
      ? []
      : [
          { key: 'veilFetchOneHolderLimited', section: 'limited' as const, label: `Veil fetch ${mib}, 1 holder, its link limited to ${r.limited.rate}`, unit: 'MB/s' as const, figure: r.limited.oneHolder.mbps, ttfbMs: r.limited.oneHolder.ttfbMs },
          { key: 'veilFetchThreeHoldersLimited', section: 'limited' as const, label: `Veil fetch ${mib}, 3 holders, each link limited to ${r.limited.rate}`, unit: 'MB/s' as const, figure: r.limited.threeHolders.mbps, ttfbMs: r.limited.threeHolders.ttfbMs }
        ])
  ]
}

/** Peak RSS of each process, MB (the highest over runs). */
function peakRss (r: BenchResults): Array<{ process: string, mb: number }> {
  const mb = (bytes: number): number => Math.round(bytes / MiB)
  const list = [
    { process: 'raw libp2p receiver', mb: mb(r.transfer.libp2p.peakRss) },
    { process: 'raw TCP receiver', mb: mb(r.transfer.tcp!.peakRss) },
    { process: 'Helia add', mb: mb(r.helia.addPeakRss) },
    { process: 'Helia server (added once, served every cat)', mb: mb(r.helia.serverPeakRss) },
    { process: 'Helia cat', mb: mb(r.helia.catPeakRss) }
  ]
  for (const s of r.shares) {
    const to = s.replicas === 0 ? 'into its own node' : s.replicas === 1 ? 'to 1 storage node' : `to R=${s.replicas}`
    list.push({ process: `Veil sharer, share ${to}`, mb: mb(s.sharerPeakRss) })
    if (s.replicas > 0) list.push({ process: `Veil storage node (highest of ${s.storageNodes}), share ${to}`, mb: mb(s.storagePeakRss) })
  }
  list.push(
    { process: 'Veil holder, 1-holder swarm (shared once, served every fetch)', mb: mb(r.transfer.holderPeakRss.one) },
    { process: 'Veil holder, 3-holder swarm (highest of 3)', mb: mb(r.transfer.holderPeakRss.three) },
    { process: 'Veil fetcher, 1 holder', mb: mb(r.transfer.oneHolder.fetcherPeakRss) },
    { process: 'Veil fetcher, 3 holders', mb: mb(r.transfer.threeHolders.fetcherPeakRss) }
  )
  if (r.transfer.privateOneHolder !== undefined) {
    list.push(
      { process: 'Veil holder, private swarm (served every fetch)', mb: mb(r.transfer.holderPeakRss.private ?? 0) },
      { process: 'Veil fetcher, 1 holder, private swarm', mb: mb(r.transfer.privateOneHolder.fetcherPeakRss) }
    )
  }
  if (r.limited?.oneHolder !== undefined && r.limited.threeHolders !== undefined) {
    list.push(
      { process: 'Veil holder, limited links (highest of 4)', mb: mb(r.limited.holderPeakRss ?? 0) },
      { process: 'Veil fetcher, 1 limited holder', mb: mb(r.limited.oneHolder.fetcherPeakRss) },
      { process: 'Veil fetcher, 3 limited holders', mb: mb(r.limited.threeHolders.fetcherPeakRss) }
    )
  }
  return list
}

/** Every ratio and target of this run; a skipped one says why (not root, --rss not given). */
export function outcomes (r: BenchResults): RatioOutcome[] {
  const values = new Map(rows(r).map(row => [row.key, row.figure.median]))
  for (const [key, value] of r.rss === undefined ? [] : rssValues(r.rss)) values.set(key, value)
  const missing = new Map<string, string>([
    ['veilFetchOneHolderPrivate', 'the private-swarm fetch was not run'],
    ['veilFetchOneHolderLimited', r.limited?.skipped ?? 'the rate-limited fetch was not run'],
    ['veilFetchThreeHoldersLimited', r.limited?.skipped ?? 'the rate-limited fetch was not run']
  ])
  for (const key of ['rssFetch1G', 'rssFetch4G', 'rssShare1G', 'rssShare4G', 'rssFetchPeak', 'rssSharePeak']) {
    missing.set(key, r.rss === undefined ? 'not measured in this run (npm run bench -- --rss, or npm run bench:rss)' : 'not measured at this file size')
  }
  return evaluate(values, missing)
}

function machine (): { cores: number, cpu: string, memoryGiB: number, node: string, os: string } {
  return { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 1024 ** 3), node: process.version, os: type() }
}

export function reportJson (r: BenchResults): unknown {
  return {
    date: r.date.toISOString(),
    mode: r.mode,
    runs: r.runs,
    fileBytes: r.size,
    durationSeconds: Math.round(r.durationMs / 1000),
    machine: machine(),
    network: r.limited?.oneHolder === undefined ? 'loopback (127.0.0.1) only' : `loopback (127.0.0.1), and network namespaces on a bridge for the rate-limited fetch (each holder's link ${r.limited.rate})`,
    loadAverage: r.load,
    figures: Object.fromEntries(rows(r).flatMap(row => [
      [row.key, { label: row.label, unit: row.unit, ...row.figure }],
      ...(row.ttfbMs === undefined ? [] : [[`${row.key}FirstByteMs`, { label: `${row.label}: time to first byte`, unit: 'ms', ...row.ttfbMs }]])
    ])),
    peakRssMB: Object.fromEntries(peakRss(r).map(p => [p.process, p.mb])),
    shares: r.shares.map(s => ({ replicas: s.replicas, storageNodes: s.storageNodes, copiesPlaced: s.copiesPlaced, units: s.units, dhtRecordsPerGiB: s.recordsPerGiB })),
    fetchBlocksPerHolderLastRun: r.transfer.threeHolders.blocksPerHolder,
    profile: r.profile === undefined ? undefined : { fetchMbps: r.profile.fetchMbps, fetcherMs: r.profile.fetcher, holderMs: r.profile.holder },
    ...(r.gateway === undefined ? {} : { gateway: r.gateway }),
    ...(r.limited === undefined ? {} : { limited: r.limited.skipped === undefined ? { rate: r.limited.rate, fetchBlocksPerHolderLastRun: r.limited.threeHolders?.blocksPerHolder } : { rate: r.limited.rate, skipped: r.limited.skipped } }),
    ...(r.rss === undefined ? {} : { rss: r.rss }),
    ...ratiosJson(outcomes(r))
  }
}

export function reportMarkdown (r: BenchResults): string {
  const m = machine()
  const all = rows(r)
  const day = r.date.toISOString().slice(0, 10)
  const lines = [
    `# Veil benchmark report — ${day}`,
    '',
    `${r.mode === 'quick' ? 'QUICK (smoke test, not for comparison): ' : ''}${r.size / MiB} MiB file, ${r.runs} run(s) of each figure (median, min–max), interleaved; ` +
      `${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node.slice(1)}, ${r.limited?.oneHolder === undefined ? 'loopback only' : 'loopback only (and network namespaces for the rate-limited fetch)'}; took ${Math.round(r.durationMs / 1000)} s. ` +
      'Every measurement ran in its own process(es). MB/s = 10^6 bytes/s. ' +
      `Other processes used ${fmt(r.load.otherCores, 2)} cores on average during the run (load average ${fmt(r.load.start, 2)} at its start). ` +
      'What each figure measures, and how: docs/benchmarks.md.',
    ''
  ]
  if (r.load.otherCores > 0.2) lines.push(`**Warning**: other work kept ${fmt(r.load.otherCores, 2)} of the ${m.cores} cores busy during the run; every figure is skewed by it.`, '')
  const table = (section: Row['section'], title: string): void => {
    lines.push(`## ${title}`, '')
    lines.push(...tableLines(all.filter(row => row.section === section).map(row => ({
      what: row.label,
      'MB/s': fmt(row.figure.median),
      'min–max': range(row.figure),
      'first byte ms (min–max)': row.ttfbMs === undefined ? '' : `${fmt(row.ttfbMs.median, 0)} (${range(row.ttfbMs, 0)})`
    }))))
    lines.push('')
  }
  table('limits', 'The machine\'s limits')
  table('helia', 'Helia (IPFS in JS)')
  table('veil', 'Veil')
  if (r.limited !== undefined) {
    if (r.limited.skipped !== undefined) lines.push('## Veil, holders behind rate-limited links (network namespaces)', '', `Skipped: ${r.limited.skipped}; \`threeHoldersVsOneLimited\` is not reported.`, '')
    else table('limited', `Veil, holders behind rate-limited links (network namespaces, tc tbf ${r.limited.rate} each way)`)
  }
  if (r.rss !== undefined) {
    lines.push('## Peak RSS against file size (one run per size)', '')
    lines.push(...tableLines(rssRows(r.rss)), '')
  }
  lines.push('## Ratios (of medians)', '')
  lines.push(...tableLines(outcomes(r).map(x => ({
    ratio: `\`${x.name}\``,
    what: x.says,
    value: x.value === undefined ? 'skipped' : fmt(x.value, x.ratio ? 2 : 0),
    target: x.target === undefined ? '' : targetText(x.target, x.kind),
    met: x.target === undefined ? '' : x.skipped !== undefined ? `skipped: ${x.skipped}` : x.met === true ? 'met' : 'NOT met'
  }))))
  if (r.gateway !== undefined) {
    lines.push('', '## The gateway page (headless Chromium) against the CLI', '')
    if (r.gateway.skipped !== undefined) {
      lines.push(`Skipped: ${r.gateway.skipped}.`)
    } else {
      lines.push(...tableLines(gatewayRows(r.gateway)), '')
      const inProcess = rows(r).find(row => row.key === 'veilFetchOneHolder')!.figure.median
      lines.push(`Page on the holder's gateway / Veil fetch by link in-process (1 holder): ${fmt(r.gateway.pageLocal.median / inProcess, 2)}; / veil get (CLI): ${fmt(r.gateway.pageLocal.median / r.gateway.cliFetch.median, 2)}.`, '')
      lines.push(memoryLine(r.gateway))
    }
  }
  lines.push('', '## Peak RSS of each process', '')
  lines.push(...tableLines(peakRss(r).map(p => ({ process: p.process, 'peak RSS MB': p.mb }))))
  lines.push('')
  if (r.profile !== undefined) {
    const p = r.profile
    lines.push('## Where the time went (one profiled fetch, 1 holder)', '')
    lines.push(`Profiled fetch at ${fmt(p.fetchMbps)} MB/s (profiling slows it; not a figure). Profiles: ${p.dir}.`, '')
    lines.push(...tableLines(CATEGORIES.map(c => ({
      part: c,
      'fetcher ms': Math.round(p.fetcher[c]),
      'fetcher %': `${(100 * p.fetcher[c] / p.fetcher.totalMs).toFixed(1)}`,
      'holder ms': Math.round(p.holder[c]),
      'holder %': `${(100 * p.holder[c] / p.holder.totalMs).toFixed(1)}`
    }))))
    lines.push('')
  }
  return lines.join('\n')
}
