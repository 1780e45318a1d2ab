/**
 * npm run bench:limited [-- --mib 256 --runs 3 --holder-rate 200mbit]
 *
 * Multi-source fetching where each holder's upload is the limit, not the
 * CPU: also part of `npm run bench` (all.ts). Root only.
 *
 * A testnet of network namespaces (scripts/testnet/netns.ts): a switch
 * namespace with a bridge, a fetcher host on it with an unlimited link, and
 * four holder hosts each behind its own link limited to `rate` both ways
 * (tc tbf, `limitedHosts`). One holder forms a 1-holder swarm; three form a
 * 3-holder swarm (one shared the file, two copied it over their limited
 * links). Each round a fresh fetcher process in the fetcher's namespace
 * fetches the same file from the one holder, then from the three — the
 * holders and fetchers are the transfer benchmark's own (transfer-worker.js),
 * run with `ip netns exec`.
 *
 * Without root, iproute2, nftables or network namespaces it measures
 * nothing and says why (`skipped`). Every namespace it made is deleted when
 * it closes, and when the benchmark ends any other way (lib.ts `onCleanUp`:
 * failure, timeout, Ctrl-C).
 */
import '../../src/platform/index.js'
import { join } from 'node:path'
import { parseLink } from '../../src/link/index.js'
import { Testnet, cannotRun, type Host } from '../testnet/netns.js'
import { MiB, fmt, isMain, main, onCleanUp, parseFlags, printTable, range, runBenches, tempDir, writeRandomFile, type Bench } from './lib.js'
import { fetchFigures, fetchRun, startHolder, type FetchFigures, type FetchRun } from './transfer.js'
import type { BenchChild } from './child.js'

export interface LimitedBenchOptions {
  size: number
  input: string
  dir: string
  /** Each holder's link, both ways, as tc writes it. Default '200mbit' (25 MB/s; 23.9 MB/s measured). */
  rate?: string
}

export interface LimitedBenchResult {
  rate: string
  /** Why nothing was measured (not root, no namespaces): no figures then. */
  skipped?: string
  oneHolder?: FetchFigures
  threeHolders?: FetchFigures
  /** Peak RSS of the holders (highest), bytes. */
  holderPeakRss?: number
}

/** The testnet's addresses: the bridge's /24, the fetcher at .2, the holders from .100. */
const PREFIX = '10.77.0'
const PORT = 4001

/** `skipped`: why it will measure nothing here (known before setup). */
export function limitedBench (options: LimitedBenchOptions): Bench<LimitedBenchResult> & { skipped: string | undefined } {
  const { dir, input } = options
  const rate = options.rate ?? '200mbit'
  const skipped = cannotRun()
  let net: Testnet | undefined
  let unregister = (): void => {}
  let fetcher: Host | undefined
  const holders: BenchChild[] = []
  const swarms: Array<{ addr: string, link: string }> = []
  const one: FetchRun[] = []
  const three: typeof one = []
  const listen = (host: Host): string[] => ['--listen', `/ip4/${host.ip}/tcp/${PORT}`]
  const close = async (): Promise<void> => {
    await Promise.all(holders.map(async holder => { await holder.stop() }))
    await net?.destroy()
    net = undefined
    unregister()
  }
  return {
    skipped,
    async setup () {
      if (skipped !== undefined) return
      const built = new Testnet()
      net = built
      unregister = onCleanUp(async () => { await built.destroy() })
      const switchNs = built.namespace('switch')
      built.bridge(switchNs)
      fetcher = built.publicHost('fetcher', switchNs, `${PREFIX}.2`)
      const hosts = built.limitedHosts('holder', switchNs, 4, rate, PREFIX)
      const first = async (host: Host, repo: string): Promise<void> => {
        const started = await startHolder(join(dir, repo), { input }, {}, { args: listen(host), ns: host.ns })
        holders.push(started.child)
        swarms.push({ addr: started.addr, link: started.link! })
      }
      await first(hosts[0]!, 'limited-one')
      await first(hosts[1]!, 'limited-three-1')
      const cid = parseLink(swarms[1]!.link).cid.toString()
      for (const i of [2, 3]) {
        const host = hosts[i]!
        holders.push((await startHolder(join(dir, `limited-three-${i}`), { hold: cid, bootstrap: swarms[1]!.addr }, {}, { args: listen(host), ns: host.ns })).child)
      }
    },
    async run () {
      if (skipped !== undefined) return
      const out = join(dir, 'limited-fetched.bin')
      one.push(await fetchRun(swarms[0]!.addr, swarms[0]!.link, out, {}, { ns: fetcher!.ns }))
      three.push(await fetchRun(swarms[1]!.addr, swarms[1]!.link, out, {}, { ns: fetcher!.ns }))
    },
    result () {
      if (skipped !== undefined) return { rate, skipped }
      return {
        rate,
        oneHolder: fetchFigures(one),
        threeHolders: fetchFigures(three),
        holderPeakRss: Math.max(0, ...holders.map(h => h.peakRss ?? 0))
      }
    },
    close
  }
}

if (isMain(import.meta.url)) {
  await main(async () => {
    const flags = parseFlags(process.argv.slice(2))
    const size = Number(flags.get('mib') ?? 256) * MiB
    const runs = Number(flags.get('runs') ?? 3)
    const dir = await tempDir('veil-bench-limited-')
    const input = join(dir, 'input.bin')
    const bench = limitedBench({ size, input, dir, rate: flags.get('holder-rate') })
    if (bench.skipped !== undefined) {
      console.log(`bench:limited: skipped: ${bench.skipped}`)
      return
    }
    await writeRandomFile(input, size)
    await runBenches([bench], runs)
    const { rate, oneHolder: one, threeHolders: three } = bench.result()
    console.log(`Veil fetch from holders behind ${rate} links (tc tbf, network namespaces) — ${size / MiB} MiB, ${runs} run(s), medians\n`)
    printTable([
      { what: '1 holder', 'MB/s': fmt(one!.mbps.median), 'min–max': range(one!.mbps), 'blocks per holder, last run': one!.blocksPerHolder.join(' / ') },
      { what: '3 holders', 'MB/s': fmt(three!.mbps.median), 'min–max': range(three!.mbps), 'blocks per holder, last run': three!.blocksPerHolder.join(' / ') }
    ])
    console.log(`\nthreeHoldersVsOneLimited: ${fmt(three!.mbps.median / one!.mbps.median, 2)} (target ≥ 2.5)`)
  })
}
