/**
 * npm run build && node dist/scripts/bench/fetch-focus.js [--mib 256 --runs 3 --profile DIR --only public,private]
 *
 * The fetch figures of issue 13 alone, interleaved in one run so their
 * ratios are comparable: each round runs (a) a raw libp2p stream
 * (tcp + noise + yamux) between two processes, (h) Helia's bitswap cat,
 * (v) a Veil fetch from one holder on the public network and (p) the same
 * fetch inside a private swarm (pnet on every byte). Prints each round and
 * the medians, with fetchVsHeliaCat = v/h, fetchVsLibp2p = v/a and
 * privateVsPublicFetch = p/v, per round and of the medians.
 *
 * --profile DIR: one more public and one more private fetch after the
 * rounds, holder and fetcher profiling themselves (see profile.ts), and
 * their breakdowns printed.
 *
 * The same file is also the worker of its Veil processes:
 *   --role holder --file F --repo D [--swarm-key HEX]   share F, serve it until SIGTERM
 *   --role fetch  --bootstrap A --link L --out O [--swarm-key HEX]
 */
import '../../src/platform/index.js'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { VeilNode } from '../../src/node/index.js'
import type { ExportProgressEvents } from '../../src/index.js'
import { createSwarmKey } from '../../src/swarm/index.js'
import { BenchChild } from './child.js'
import { heliaCatRun } from './helia.js'
import { streamRun } from './transfer.js'
import { MiB, fmt, isMain, main, mbps, median, parseFlags, peakRss, printTable, tempDir, writeRandomFile } from './lib.js'
import { PROFILE_DIR_ENV, breakdown, breakdownRows, profileIfAsked } from './profile.js'
import { readdir } from 'node:fs/promises'
import { readFileSync } from 'node:fs'

const say = (value: unknown): void => { process.stdout.write(JSON.stringify(value) + '\n') }
const SCRIPT = 'fetch-focus.js'

function swarmOf (flags: Map<string, string>): { swarm?: { key: Uint8Array } } {
  const hex = flags.get('swarm-key')
  return hex === undefined ? {} : { swarm: { key: Uint8Array.from(Buffer.from(hex, 'hex')) } }
}

async function holderRole (flags: Map<string, string>): Promise<void> {
  const node = await VeilNode.create({ repo: flags.get('repo'), bootstrap: [], ...swarmOf(flags) })
  await node.start()
  const { link } = await node.share(flags.get('file')!, { replicas: 0 })
  const stopProfile = await profileIfAsked(`holder-${process.pid}`)
  say({ ready: true, addr: node.addresses()[0]!.toString(), link })
  await new Promise<void>(resolve => { process.once('SIGTERM', () => { resolve() }) })
  await stopProfile()
  await node.stop()
}

async function fetchRole (flags: Map<string, string>): Promise<void> {
  const node = await VeilNode.create({ bootstrap: [flags.get('bootstrap')!], dhtServer: false, ...swarmOf(flags) })
  await node.start()
  let firstByte = 0
  const start = performance.now()
  const onProgress = (event: ExportProgressEvents): void => {
    if (firstByte === 0 && event.type === 'veil:export:block') firstByte = performance.now()
  }
  const stopProfile = await profileIfAsked(`fetcher-${process.pid}`)
  const cpu = process.cpuUsage()
  const result = await node.get(flags.get('link')!, { output: flags.get('out')!, onProgress, overwrite: true })
  const ms = performance.now() - start
  const used = process.cpuUsage(cpu)
  await stopProfile()
  say({ ms, ttfbMs: firstByte - start, bytes: result.size, peakRss: peakRss(), cpuMs: (used.user + used.system) / 1000 })
  await node.stop()
}

interface Holder { child: BenchChild, addr: string, link: string, args: string[], script: string, env: NodeJS.ProcessEnv }

async function startHolder (input: string, repo: string, extra: string[], env: NodeJS.ProcessEnv = {}, script = SCRIPT): Promise<Holder> {
  const child = new BenchChild(script, ['--role', 'holder', '--file', input, '--repo', repo, ...extra], env)
  const ready = await child.next<{ addr: string, link: string }>()
  return { child, addr: ready.addr, link: ready.link, args: extra, script, env }
}

/** CPU time (user + system, all threads) a process has used so far, ms (Linux). */
function cpuMsOf (pid: number | undefined): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const [utime, stime] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(11, 13).map(Number)
  return (utime! + stime!) * 10
}

interface FetchResult { ms: number, bytes: number, peakRss: number, cpuMs: number, holderCpuMs: number }

async function fetchOnce (holder: Holder, out: string, env: NodeJS.ProcessEnv = {}): Promise<FetchResult> {
  const before = cpuMsOf(holder.child.pid)
  const child = new BenchChild(holder.script, ['--role', 'fetch', '--bootstrap', holder.addr, '--link', holder.link, '--out', out, ...holder.args], { ...holder.env, ...env })
  try {
    const result = await child.next<Omit<FetchResult, 'holderCpuMs'>>()
    return { ...result, holderCpuMs: cpuMsOf(holder.child.pid) - before }
  } finally {
    await child.stop()
    await rm(out, { force: true })
  }
}

async function orchestrate (flags: Map<string, string>): Promise<void> {
  const size = Number(flags.get('mib') ?? 256) * MiB
  const runs = Number(flags.get('runs') ?? 3)
  const only = new Set((flags.get('only') ?? 'raw,helia,public,private').split(','))
  const dir = await tempDir('veil-fetch-focus-')
  const input = join(dir, 'input.bin')
  await writeRandomFile(input, size)
  const keyArgs = ['--swarm-key', Buffer.from(createSwarmKey()).toString('hex')]
  const pub = await startHolder(input, join(dir, 'holder-public'), [])
  const priv = only.has('private') ? await startHolder(input, join(dir, 'holder-private'), keyArgs) : undefined
  let helia: BenchChild | undefined
  let heliaServed: { addr: string, cid: string } | undefined
  if (only.has('helia')) {
    helia = new BenchChild('helia-worker.js', ['--role', 'serve', '--file', input, '--store', join(dir, 'helia-server')])
    heliaServed = await helia.next<{ addr: string, cid: string }>()
  }
  const rows: Array<Record<string, string | number>> = []
  const figures: Record<string, number[]> = { raw: [], helia: [], public: [], private: [] }
  try {
    for (let round = 0; round < runs; round++) {
      const row: Record<string, number> = {}
      const cpuCells: Record<string, string> = {}
      if (only.has('raw')) { const r = await streamRun('libp2p', size); row.raw = mbps(r.bytes, r.ms) }
      if (helia !== undefined) { const r = await heliaCatRun(heliaServed!.addr, heliaServed!.cid, join(dir, `cat-${round}`)); row.helia = mbps(r.bytes, r.ms) }
      // CPU per MiB fetched (fetcher, holder): less noisy than wall-clock on a shared machine.
      const cpu = (r: FetchResult): string => `${fmt(r.cpuMs / (r.bytes / MiB), 2)}/${fmt(r.holderCpuMs / (r.bytes / MiB), 2)}`
      if (only.has('public')) { const r = await fetchOnce(pub, join(dir, 'out.bin')); row.public = mbps(r.bytes, r.ms); cpuCells.pubCpu = cpu(r) }
      if (priv !== undefined) { const r = await fetchOnce(priv, join(dir, 'out.bin')); row.private = mbps(r.bytes, r.ms); cpuCells.privCpu = cpu(r) }
      for (const [k, v] of Object.entries(row)) figures[k]!.push(v)
      rows.push({ round: round + 1, ...Object.fromEntries(Object.entries(row).map(([k, v]) => [k, fmt(v)])), ...ratios(row), ...cpuCells })
      console.error(`fetch-focus: round ${round + 1}: ${JSON.stringify(rows[rows.length - 1])}`)
    }
    const medians = Object.fromEntries(Object.entries(figures).filter(([, v]) => v.length > 0).map(([k, v]) => [k, median(v)]))
    rows.push({ round: 'median', ...Object.fromEntries(Object.entries(medians).map(([k, v]) => [k, fmt(v)])), ...ratios(medians) })
    console.log(`fetch focus — ${size / MiB} MiB, ${runs} round(s), MB/s; load average at end ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`)
    printTable(rows)
  } finally {
    await pub.child.stop()
    await priv?.child.stop()
    await helia?.stop()
  }
  const profileDir = flags.get('profile')
  if (profileDir !== undefined) {
    for (const [name, extra] of [['public', []], ...(only.has('private') ? [['private', keyArgs]] : [])] as Array<[string, string[]]>) {
      const out = join(profileDir, name)
      await rm(out, { recursive: true, force: true })
      const env = { [PROFILE_DIR_ENV]: out }
      const holder = await startHolder(input, join(dir, `holder-profiled-${name}`), extra, env)
      let fetched
      try {
        fetched = await fetchOnce(holder, join(dir, 'profiled.bin'), env)
      } finally {
        await holder.child.stop()
      }
      const files = await readdir(out)
      const find = (prefix: string): string => join(out, files.find(f => f.startsWith(prefix) && f.endsWith('.cpuprofile'))!)
      console.log(`\nprofiled ${name} fetch: ${fmt(mbps(fetched.bytes, fetched.ms))} MB/s (slowed by profiling)`)
      const f = await breakdown(find('fetcher-'))
      const h = await breakdown(find('holder-'))
      const fr = breakdownRows('fetcher', f)
      const hr = breakdownRows('holder', h)
      printTable(fr.map((row, i) => ({ part: row.part!, 'fetcher ms': row.ms!, 'fetcher %': row.share!, 'holder ms': hr[i]!.ms!, 'holder %': hr[i]!.share! })))
    }
  }
}

function ratios (row: Record<string, number>): Record<string, string> {
  const out: Record<string, string> = {}
  if (row.public !== undefined && row.helia !== undefined) out.vsHelia = fmt(row.public / row.helia, 2)
  if (row.public !== undefined && row.raw !== undefined) out.vsLibp2p = fmt(row.public / row.raw, 2)
  if (row.public !== undefined && row.private !== undefined) out.privVsPub = fmt(row.private / row.public, 2)
  return out
}

/**
 * --ab: the same public fetch in two variants, alternating which goes
 * first each round: B runs with --b-env K=V[,K=V] in its holder's and
 * fetcher's environment and/or --b-dist DIR (another build's dist folder,
 * relative to this one's, e.g. a copy of the code before a change).
 */
async function abTest (flags: Map<string, string>): Promise<void> {
  const size = Number(flags.get('mib') ?? 256) * MiB
  const runs = Number(flags.get('runs') ?? 4)
  const dir = await tempDir('veil-fetch-ab-')
  const input = join(dir, 'input.bin')
  await writeRandomFile(input, size)
  const env = Object.fromEntries((flags.get('b-env') ?? '').split(',').filter(Boolean).map(kv => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
  const bDist = flags.get('b-dist')
  const bScript = bDist === undefined ? SCRIPT : join('..', '..', '..', bDist, 'scripts', 'bench', SCRIPT)
  const extra = flags.has('private') ? ['--swarm-key', Buffer.from(createSwarmKey()).toString('hex')] : []
  const a = await startHolder(input, join(dir, 'holder-a'), extra)
  const b = await startHolder(input, join(dir, 'holder-b'), extra, env, bScript)
  const rows: Array<Record<string, string | number>> = []
  const ratio: number[] = []
  const cpuA: number[] = []
  const cpuB: number[] = []
  try {
    for (let round = 0; round < runs; round++) {
      const order = round % 2 === 0 ? [a, b] : [b, a]
      const results = new Map<Holder, FetchResult>()
      for (const holder of order) results.set(holder, await fetchOnce(holder, join(dir, 'out.bin')))
      const ra = results.get(a)!
      const rb = results.get(b)!
      const perMiB = (r: FetchResult): number => (r.cpuMs + r.holderCpuMs) / (r.bytes / MiB)
      ratio.push(mbps(rb.bytes, rb.ms) / mbps(ra.bytes, ra.ms))
      cpuA.push(perMiB(ra))
      cpuB.push(perMiB(rb))
      rows.push({
        round: round + 1,
        A: fmt(mbps(ra.bytes, ra.ms)),
        B: fmt(mbps(rb.bytes, rb.ms)),
        'B/A': fmt(ratio[ratio.length - 1]!, 2),
        'A cpu ms/MiB f+h': `${fmt(ra.cpuMs / (ra.bytes / MiB), 2)}+${fmt(ra.holderCpuMs / (ra.bytes / MiB), 2)}`,
        'B cpu ms/MiB f+h': `${fmt(rb.cpuMs / (rb.bytes / MiB), 2)}+${fmt(rb.holderCpuMs / (rb.bytes / MiB), 2)}`
      })
      console.error(`fetch-ab: ${JSON.stringify(rows[rows.length - 1])}`)
    }
    console.log(`fetch A/B — ${size / MiB} MiB, ${runs} round(s); B: env ${JSON.stringify(env)} dist ${bDist ?? '(same)'}${flags.has('private') ? ', private swarm' : ''}`)
    printTable(rows)
    console.log(`median B/A ${fmt(median(ratio), 2)}; CPU ms/MiB (fetcher + holder) median A ${fmt(median(cpuA), 2)}, B ${fmt(median(cpuB), 2)}`)
  } finally {
    await a.child.stop()
    await b.child.stop()
  }
}

if (isMain(import.meta.url)) {
  const flags = parseFlags(process.argv.slice(2))
  const role = flags.get('role')
  if (role === 'holder') await holderRole(flags)
  else if (role === 'fetch') await fetchRole(flags)
  else if (flags.has('ab')) await main(async () => { await abTest(flags) })
  else await main(async () => { await orchestrate(flags) })
}
