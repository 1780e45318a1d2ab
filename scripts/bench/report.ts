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
  durationMs: number
  date: Date
  /**
   * Other work on the machine skews every figure: the 1-minute load average
   * when the run started, and the cores other processes (and the kernel,
   * and the hypervisor's steal) kept busy on average during the run.
   */
  load: { start: number, otherCores: number }
}

interface Row { key: string, section: 'limits' | 'helia' | 'veil', label: string, unit: 'MB/s' | 'ms', figure: Figure, ttfbMs?: Figure }

/** A ratio of two figures' medians (row keys), the target it should reach, what it means. */
interface RatioSpec { name: string, of: string, to: string, target?: number, says: string }

const RATIOS: RatioSpec[] = [
  { name: 'fetchVsHeliaCat', of: 'veilFetchOneHolder', to: 'heliaCat', target: 2.5, says: 'Veil fetch (1 holder) / Helia bitswap cat' },
  { name: 'fetchVsLibp2p', of: 'veilFetchOneHolder', to: 'libp2pStream', target: 0.8, says: 'Veil fetch (1 holder) / raw libp2p stream' },
  { name: 'shareVsHeliaAdd', of: 'veilShareLocal', to: 'heliaAdd', target: 1, says: 'Veil share into its own node / Helia add' },
  { name: 'threeHoldersVsOne', of: 'veilFetchThreeHolders', to: 'veilFetchOneHolder', target: 1.3, says: 'Veil fetch, 3 holders / 1 holder (bench:transfer\'s target)' },
  { name: 'shareVsLevelWrite', of: 'veilShareLocal', to: 'levelWrite', target: 0.9, says: 'Veil share into its own node / level batch write (bench:import\'s target)' },
  { name: 'shareToOneNodeVsHeliaAdd', of: 'veilShareR1', to: 'heliaAdd', says: 'Veil share to 1 storage node / Helia add' },
  { name: 'shareR3VsHeliaAdd', of: 'veilShareR3', to: 'heliaAdd', says: 'Veil share to R=3 storage nodes / Helia add' },
  { name: 'heliaCatVsLibp2p', of: 'heliaCat', to: 'libp2pStream', says: 'Helia cat / raw libp2p stream' },
  { name: 'libp2pVsTcp', of: 'libp2pStream', to: 'tcp', says: 'raw libp2p stream / raw TCP (the cost of Noise + Yamux)' }
]

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
    { key: 'veilFetchThreeHolders', section: 'veil', label: `Veil fetch ${mib} by link, 3 holders`, unit: 'MB/s', figure: r.transfer.threeHolders.mbps, ttfbMs: r.transfer.threeHolders.ttfbMs }
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
  return list
}

export function ratios (r: BenchResults): Record<string, number> {
  const byKey = new Map(rows(r).map(row => [row.key, row.figure.median]))
  return Object.fromEntries(RATIOS.map(ratio => [ratio.name, Number((byKey.get(ratio.of)! / byKey.get(ratio.to)!).toFixed(3))]))
}

function machine (): { cores: number, cpu: string, memoryGiB: number, node: string, os: string } {
  return { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 1024 ** 3), node: process.version, os: type() }
}

export function reportJson (r: BenchResults): unknown {
  const ratioValues = ratios(r)
  return {
    date: r.date.toISOString(),
    mode: r.mode,
    runs: r.runs,
    fileBytes: r.size,
    durationSeconds: Math.round(r.durationMs / 1000),
    machine: machine(),
    network: 'loopback (127.0.0.1) only',
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
    ratios: ratioValues,
    targets: Object.fromEntries(RATIOS.flatMap(x => x.target === undefined ? [] : [[x.name, { target: x.target, value: ratioValues[x.name], met: ratioValues[x.name]! >= x.target }]]))
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
      `${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node.slice(1)}, loopback only; took ${Math.round(r.durationMs / 1000)} s. ` +
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
  const values = ratios(r)
  lines.push('## Ratios (of medians)', '')
  lines.push(...tableLines(RATIOS.map(x => ({
    ratio: `\`${x.name}\``,
    what: x.says,
    value: fmt(values[x.name]!, 2),
    target: x.target === undefined ? '' : `≥ ${x.target}`,
    met: x.target === undefined ? '' : values[x.name]! >= x.target ? 'met' : 'NOT met'
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
