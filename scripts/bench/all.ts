/**
 * npm run bench [-- --quick] [-- --profile] [-- --rss] [-- --runs N --mib M --helia-store file|memory --holder-rate 200mbit --timeout-s S]
 *
 * Every benchmark, side by side, in one run on loopback, written up as one
 * report (bench-report.md, printed too, and bench-report.json at the repo
 * root):
 *  - the machine's limits: AES-256-GCM, SHA-256, level batch write, raw TCP
 *    and a raw libp2p (tcp+noise+yamux) stream between two processes;
 *  - Helia: add of the file, and bitswap cat of it from a second process;
 *  - Veil: share of the same file into its own node, to one storage node and
 *    to R=3, fetch by link from one holder and from three, from one holder
 *    in a private swarm (pnet), time to first byte;
 *  - as root: fetch from one holder and from three where each holder's link
 *    is rate-limited (--holder-rate, tc tbf, network namespaces: limited.ts);
 *    otherwise the report says it was skipped and why;
 *  - the gateway page in headless Chromium against `veil get` on the same
 *    file, and the page's peak memory saving a 1 GiB file (bench:gateway);
 *  - the peak RSS of each process, and the ratios against their targets.
 * Full mode: a 256 MiB file, 3 runs of each figure. --quick: 32 MiB, 1 run
 * (a smoke test that the benchmarks still work, not numbers to compare).
 * --rss: after the rounds, the peak RSS of a fetch and a share of a 1 GiB
 * and a 4 GiB file (rss.ts; minutes, and ~12 GiB of temp disk at once).
 * --profile: after the rounds, one more fetch from a fresh holder with both
 * processes profiling themselves; the report says where their time went
 * (Noise, Yamux, framing and copies, SHA-256, AES-GCM, file I/O, GC, idle)
 * and the .cpuprofile files are kept in bench-profiles/.
 * Runs are round-robin (each round runs every measurement once), so drift
 * hits Veil and Helia alike. Exit 0 whether targets are met or not (they are
 * reported), 1 if a measurement failed; every process and temp file is
 * removed on the way out, Ctrl-C included.
 */
import '../../src/platform/index.js'
import { rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { loadavg } from 'node:os'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { GiB, MiB, cleanUpAll, main, parseFlags, runBenches, tempDir, writeRandomFile } from './lib.js'
import { importBench } from './import.js'
import { transferBench } from './transfer.js'
import { heliaBench } from './helia.js'
import { shareBench } from './share.js'
import { gatewayBench } from './gateway.js'
import { reportJson, reportMarkdown, type BenchResults } from './report.js'
import { profileRun, type ProfileResult } from './profile-run.js'
import { limitedBench } from './limited.js'
import { rssBench, type RssResult } from './rss.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const REPORT_MD = join(ROOT, 'bench-report.md')
const REPORT_JSON = join(ROOT, 'bench-report.json')

/**
 * CPU ticks (1/100 s) the whole machine spent in user and system time (and
 * lost to steal), and those this process and its finished children spent
 * (Linux; zeros elsewhere). Their difference over the run is what other
 * processes took from it.
 */
function cpuTicks (): { machine: number, ours: number } {
  try {
    const [, ...cpu] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number)
    const [user, nice, system, , , , , steal] = cpu
    const self = readFileSync('/proc/self/stat', 'utf8')
    const [utime, stime, cutime, cstime] = self.slice(self.lastIndexOf(')') + 2).split(' ').slice(11, 15).map(Number)
    return { machine: user! + nice! + system! + steal!, ours: utime! + stime! + cutime! + cstime! }
  } catch {
    return { machine: 0, ours: 0 }
  }
}

await main(async () => {
  const started = Date.now()
  const loadAtStart = loadavg()[0]!
  const ticksAtStart = cpuTicks()
  const flags = parseFlags(process.argv.slice(2))
  const quick = flags.has('quick')
  const size = Number(flags.get('mib') ?? (quick ? 32 : 256)) * MiB
  const runs = Number(flags.get('runs') ?? (quick ? 1 : 3))
  // A hung measurement must not hang CI: past this, stop everything and fail.
  // --rss adds minutes of 1 GiB and 4 GiB transfers.
  const limitS = Number(flags.get('timeout-s') ?? (quick ? 300 : 900) + (flags.has('rss') ? 1800 : 0))
  setTimeout(() => {
    console.error(`bench: still running after ${limitS} s (a measurement hung?): stopping every benchmark process`)
    void cleanUpAll().finally(() => { process.exit(1) })
  }, limitS * 1000).unref()
  // A report from an earlier run must not pass for this one if this one fails.
  await rm(REPORT_MD, { force: true })
  await rm(REPORT_JSON, { force: true })

  const dir = await tempDir('veil-bench-')
  const input = join(dir, 'input.bin')
  await writeRandomFile(input, size)
  const limits = importBench({ sizes: [], referenceBytes: size, blockFiles: false, dir })
  const helia = heliaBench({ size, input, dir, memory: flags.get('helia-store') === 'memory' })
  const transfer = transferBench({ size, input, tcp: true, private: true, dir })
  const limited = limitedBench({ size, input, dir, rate: flags.get('holder-rate') })
  const shares = shareBench({ size, input, replicas: [0, 1, 3], dir })
  const gateway = gatewayBench({ size, input, memorySize: Number(flags.get('memory-mib') ?? (quick ? 64 : 1024)) * MiB, dir })
  const log = (line: string): void => { console.error(`bench: ${line} (${Math.round((Date.now() - started) / 1000)} s)`) }
  log(`${quick ? 'quick' : 'full'} mode, ${size / MiB} MiB, ${runs} run(s); starting the serving nodes`)
  if (limited.skipped !== undefined) log(`skipping the rate-limited fetch (threeHoldersVsOneLimited): ${limited.skipped}`)
  await runBenches([limits, helia, transfer, shares, gateway, limited], runs, round => { log(`round ${round + 1} of ${runs}`) })

  let profile: ProfileResult | undefined
  if (flags.has('profile')) {
    log('profiling one more fetch (holder and fetcher)')
    const outDir = join(ROOT, 'bench-profiles')
    await rm(outDir, { recursive: true, force: true })
    profile = await profileRun(input, dir, outDir)
  }
  let rss: RssResult | undefined
  if (flags.has('rss')) {
    await rm(input, { force: true })
    rss = await rssBench([GiB, 4 * GiB], dir, log)
  }
  const ticks = cpuTicks()
  const seconds = (Date.now() - started) / 1000
  const results: BenchResults = {
    mode: quick ? 'quick' : 'full',
    runs,
    size,
    limits: limits.result(),
    helia: helia.result(),
    transfer: transfer.result(),
    shares: shares.result(),
    profile,
    gateway: gateway.result(),
    limited: limited.result(),
    rss,
    durationMs: Date.now() - started,
    date: new Date(),
    load: {
      start: loadAtStart,
      otherCores: Math.max(0, (ticks.machine - ticksAtStart.machine) - (ticks.ours - ticksAtStart.ours)) / 100 / seconds
    }
  }
  for (const share of results.shares) {
    if (share.copiesPlaced < share.replicas) throw new Error(`the share to R=${share.replicas} placed only ${share.copiesPlaced} copies in some run: its figure would not measure a full share`)
  }
  const markdown = reportMarkdown(results)
  await writeFile(REPORT_MD, markdown)
  await writeFile(REPORT_JSON, JSON.stringify(reportJson(results), null, 2) + '\n')
  console.log(markdown)
  console.log(`written: ${REPORT_MD}, ${REPORT_JSON}`)
})
