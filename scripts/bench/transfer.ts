/**
 * npm run bench:transfer [-- --mib 1024 --runs 3]
 *
 * Two or more node processes on loopback, in one run:
 *  (a) a raw libp2p stream (tcp + noise + yamux) pushing the bytes — the ceiling;
 *  (b) Veil fetching a share of that size from one holder;
 *  (c) from three holders.
 * Prints MB/s, (b)/(a), (c)/(b), time to first byte and the fetcher's peak RSS.
 */
import '../../src/platform/shim.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseLink } from '../../src/link/index.js'
import { MiB, fmt, mbps, median, parseFlags, printTable, writeRandomFile } from './lib.js'
import { BenchChild } from './child.js'

interface FetchRun { ms: number, ttfbMs: number, bytes: number, peakRss: number, perPeer: Record<string, number> }
interface RawRun { ms: number, bytes: number }

const flags = parseFlags(process.argv.slice(2))
const size = Number(flags.get('mib') ?? 1024) * MiB
const runs = Number(flags.get('runs') ?? 3)
const dir = await mkdtemp(join(tmpdir(), 'veil-bench-transfer-'))
const children: BenchChild[] = []
const start = (args: string[]): BenchChild => { const child = new BenchChild('transfer-worker.js', args); children.push(child); return child }
const range = (values: number[]): string => `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`

async function rawRun (): Promise<RawRun> {
  const recv = start(['--role', 'raw-recv', '--bytes', String(size)])
  const { addr } = await recv.next<{ addr: string }>()
  const send = start(['--role', 'raw-send', '--to', addr, '--bytes', String(size)])
  const result = await recv.next<RawRun>()
  await send.stop()
  await recv.stop()
  return result
}

async function fetchRun (bootstrap: string, link: string, out: string): Promise<FetchRun> {
  const fetcher = start(['--role', 'fetch', '--bootstrap', bootstrap, '--link', link, '--out', out])
  const result = await fetcher.next<FetchRun>()
  await fetcher.stop()
  await rm(out, { force: true })
  return result
}

try {
  const input = join(dir, 'input.bin')
  await writeRandomFile(input, size)
  const first = start(['--role', 'holder', '--file', input, '--repo', join(dir, 'h1')])
  const { addr, link } = await first.next<{ addr: string, link: string }>()
  const cid = parseLink(link).cid.toString()

  const raw: RawRun[] = []
  const one: FetchRun[] = []
  for (let r = 0; r < runs; r++) {
    raw.push(await rawRun())
    one.push(await fetchRun(addr, link, join(dir, 'out.bin')))
  }
  const more = [start(['--role', 'holder', '--hold', cid, '--bootstrap', addr, '--repo', join(dir, 'h2')]), start(['--role', 'holder', '--hold', cid, '--bootstrap', addr, '--repo', join(dir, 'h3')])]
  for (const holder of more) await holder.next()
  const three: FetchRun[] = []
  for (let r = 0; r < runs; r++) three.push(await fetchRun(addr, link, join(dir, 'out.bin')))

  const rawMB = raw.map(r => mbps(r.bytes, r.ms))
  const oneMB = one.map(r => mbps(r.bytes, r.ms))
  const threeMB = three.map(r => mbps(r.bytes, r.ms))
  console.log(`Veil transfer benchmark — ${size / MiB} MiB, ${runs} run(s), medians; all measured in this run\n`)
  printTable([
    { what: '(a) raw libp2p stream, tcp+noise+yamux, 2 processes', 'MB/s': fmt(median(rawMB)), 'min–max': range(rawMB), 'first byte ms': '', 'fetcher peak RSS MB': '' },
    { what: '(b) Veil fetch from 1 holder', 'MB/s': fmt(median(oneMB)), 'min–max': range(oneMB), 'first byte ms': fmt(median(one.map(r => r.ttfbMs))), 'fetcher peak RSS MB': fmt(Math.max(...one.map(r => r.peakRss)) / MiB, 0) },
    { what: '(c) Veil fetch from 3 holders', 'MB/s': fmt(median(threeMB)), 'min–max': range(threeMB), 'first byte ms': fmt(median(three.map(r => r.ttfbMs))), 'fetcher peak RSS MB': fmt(Math.max(...three.map(r => r.peakRss)) / MiB, 0) }
  ])
  console.log('')
  printTable([{ '(b)/(a)': fmt(median(oneMB) / median(rawMB), 2), '(c)/(b)': fmt(median(threeMB) / median(oneMB), 2), 'blocks per holder in (c), last run': Object.values(three[three.length - 1]!.perPeer).join(' / ') }])
  console.log('\ntargets: (b) ≥ 0.8× (a); (c) ≥ 1.3× (b); fetcher peak RSS under 250 MB')
} finally {
  await Promise.all(children.map(async child => { await child.stop() }))
  await rm(dir, { recursive: true, force: true })
}
