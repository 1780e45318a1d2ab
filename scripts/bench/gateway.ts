/**
 * npm run bench:gateway [-- --mib 256 --runs 3 --memory-mib 1024]
 *
 * The gateway page in Debian's headless Chromium against the CLI, on the
 * same file, in one run on loopback:
 *  (a) `veil get` of the file by link from the holder (a CLI process, its
 *      start included);
 *  (b) the page, on the holder's own gateway (blocks from its store): from
 *      the click on Download until every byte was decrypted and handed to
 *      the download (HTTP, SHA-256 and AES-GCM in the page, the service
 *      worker, Chromium writing the file);
 *  (c) the page on a second node's gateway, which fetches every block from
 *      the holder over the swarm first.
 * And the page's peak JS memory (Chromium's own Runtime.getHeapUsage: JS
 * heap plus ArrayBuffer backing stores, sampled every 100 ms) while it saves a --memory-mib file (1 GiB by
 * default): flat memory means it stays near its size for a small file.
 *
 * `gatewayBench` is also one part of `npm run bench` (all.ts). Without a
 * Chromium it reports itself skipped.
 */
import '../../src/platform/index.js'
import { createReadStream, readdirSync, readFileSync } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import type { CDPSession, Page } from 'playwright-core'
import { findChromium, launchChromium, type LaunchedBrowser } from '../browser.js'
import { MiB, figure, fmt, isMain, main, mbps, parseFlags, printTable, range, runBenches, spawnScript, tempDir, writeRandomFile, type Bench, type Figure } from './lib.js'

export interface GatewayBenchOptions {
  size: number
  /** The file to share (written when absent). */
  input?: string
  /** Size of the file whose page memory is measured (0: skip). */
  memorySize: number
  dir: string
}

export interface GatewayBenchResult {
  skipped?: string
  size: number
  cliFetch: Figure
  pageLocal: Figure
  pageSwarm: Figure
  /** Peak JS heap used by the page, bytes, while saving `memorySize` bytes, and while saving `size`. */
  memory: { size: number, peakHeap: number, baseHeap: number, smallPeakHeap: number, mbps: number, peakRendererRss: number, baseRendererRss: number, smallPeakRendererRss: number }
}

const CLI = '../../src/cli/main.js'

interface NodeProc { proc: ChildProcess, out: string, address: string, gateway: string }

async function waitForLine (proc: ChildProcess, pattern: RegExp, state: { out: string }, timeoutMs = 120_000): Promise<RegExpMatchArray> {
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`no ${pattern} from veil within ${timeoutMs} ms`)) }, timeoutMs)
    const check = (): void => {
      const match = pattern.exec(state.out)
      if (match !== null) { clearTimeout(timer); proc.stdout!.off('data', onData); resolve(match) }
    }
    const onData = (chunk: string): void => { state.out += chunk; check() }
    proc.stdout!.setEncoding('utf8').on('data', onData)
    proc.once('exit', code => { clearTimeout(timer); reject(new Error(`veil exited (${code}) before printing ${pattern}`)) })
    check()
  })
}

async function startNode (repo: string, extra: string[]): Promise<NodeProc> {
  const proc = spawnScript(CLI, ['--repo', repo, 'node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--gateway', '127.0.0.1:0', ...extra], { VEIL_HOME: '' })
  const state = { out: '' }
  const match = await waitForLine(proc, /^listening (\S+)\n(?:listening \S+\n)*gateway (\S+)\n/m, state)
  return { proc, out: state.out, address: match[1]!, gateway: match[2]! }
}

async function runCli (args: string[]): Promise<{ out: string, ms: number }> {
  const started = performance.now()
  const proc = spawnScript(CLI, args)
  let out = ''
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
  const code = await new Promise<number | null>(resolve => proc.once('exit', resolve))
  if (code !== 0) throw new Error(`veil ${args.join(' ')} exited with ${code}`)
  return { out, ms: performance.now() - started }
}

async function fileSha256 (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * The page's JS memory by Chromium's own account (CDP Runtime.getHeapUsage):
 * the JS heap in use plus ArrayBuffer backing stores, where blocks live.
 */
export async function pageMemory (cdp: CDPSession): Promise<number> {
  const usage = await cdp.send('Runtime.getHeapUsage') as { usedSize: number, backingStorageSize?: number }
  return usage.usedSize + (usage.backingStorageSize ?? 0)
}

interface PageRun { ms: number, bytes: number, mbps: number, peakHeap: number, baseHeap: number, peakRendererRss: number, baseRendererRss: number }

/**
 * Resident memory of this process's Chromium renderers (page and service
 * worker), summed, in bytes (Linux /proc; 0 elsewhere). The JS heap does not
 * count ArrayBuffers' backing stores, which is where blocks live.
 */
function rendererRss (): number {
  try {
    const parents = new Map<number, number>()
    const renderers: number[] = []
    for (const name of readdirSync('/proc')) {
      const pid = Number(name)
      if (!Number.isInteger(pid)) continue
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) renderers.push(pid)
      } catch {}
    }
    const ours = (pid: number): boolean => {
      for (let p = pid, hops = 0; p > 1 && hops < 16; p = parents.get(p) ?? 0, hops++) if (p === process.pid) return true
      return false
    }
    let total = 0
    for (const pid of renderers.filter(ours)) {
      const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      total += match === null ? 0 : Number(match[1]) * 1024
    }
    return total
  } catch {
    return 0
  }
}

/** Open `link`, click Download, wait until saved; the page's own timing and its peak JS heap. */
export async function pageRun (browser: LaunchedBrowser, link: string, expectSha?: string): Promise<PageRun> {
  const page: Page = await browser.context.newPage()
  try {
    const cdp = await browser.context.newCDPSession(page)
    const heap = async (): Promise<number> => await pageMemory(cdp)
    await page.goto(link)
    await page.waitForSelector('#app[data-state="ready"]', { timeout: 120_000 })
    await cdp.send('HeapProfiler.collectGarbage').catch(() => {})
    const baseHeap = await heap()
    const baseRendererRss = rendererRss()
    let peakHeap = baseHeap
    let peakRendererRss = baseRendererRss
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        peakHeap = Math.max(peakHeap, await heap().catch(() => 0))
        peakRendererRss = Math.max(peakRendererRss, rendererRss())
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    })()
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 120_000 }),
      page.getByRole('button', { name: 'Download', exact: true }).click()
    ])
    const panel = page.locator('.download-panel')
    await page.waitForFunction(el => el?.getAttribute('data-state') !== 'saving', await panel.elementHandle(), { timeout: 1_800_000, polling: 250 })
    sampling = false
    await sampler
    if (await panel.getAttribute('data-state') !== 'saved') throw new Error(`the page failed: ${await panel.innerText()}`)
    const path = await download.path()
    if (expectSha !== undefined && await fileSha256(path) !== expectSha) throw new Error('the page saved a file whose SHA-256 differs from the original')
    const bytes = Number(await panel.getAttribute('data-bytes'))
    const ms = Number(await panel.getAttribute('data-seconds')) * 1000
    await download.delete()
    return { ms, bytes, mbps: mbps(bytes, ms), peakHeap, baseHeap, peakRendererRss, baseRendererRss }
  } finally {
    await page.close()
  }
}

export function gatewayBench (options: GatewayBenchOptions): Bench<GatewayBenchResult> {
  const chromium = findChromium()
  const runs = { cli: [] as number[], local: [] as number[], swarm: [] as number[] }
  let memory: GatewayBenchResult['memory'] = { size: options.memorySize, peakHeap: 0, baseHeap: 0, smallPeakHeap: 0, mbps: 0, peakRendererRss: 0, baseRendererRss: 0, smallPeakRendererRss: 0 }
  let holder: NodeProc | undefined
  let remote: NodeProc | undefined
  let browser: LaunchedBrowser | undefined
  let link = ''
  let sha = ''
  const input = options.input ?? join(options.dir, 'gateway-input.bin')
  return {
    async setup () {
      if (chromium === undefined) return
      if (options.input === undefined) await writeRandomFile(input, options.size)
      sha = await fileSha256(input)
      holder = await startNode(join(options.dir, 'gw-holder'), [])
      const shared = await runCli(['--repo', join(options.dir, 'gw-holder'), 'share', input, '--replicas', '0', '--no-progress', '--json'])
      link = (JSON.parse(shared.out) as { link: string }).link
      remote = await startNode(join(options.dir, 'gw-remote'), ['--bootstrap', holder.address])
      browser = await launchChromium(chromium)
      if (options.memorySize > 0) {
        const big = join(options.dir, 'gateway-memory.bin')
        await writeRandomFile(big, options.memorySize)
        const bigShare = await runCli(['--repo', join(options.dir, 'gw-holder'), 'share', big, '--replicas', '0', '--no-progress', '--json'])
        const bigLink = (JSON.parse(bigShare.out) as { link: string }).link
        const run = await pageRun(browser, toGateway(bigLink, holder.gateway))
        await rm(big, { force: true })
        memory = { size: options.memorySize, peakHeap: run.peakHeap, baseHeap: run.baseHeap, smallPeakHeap: 0, mbps: run.mbps, peakRendererRss: run.peakRendererRss, baseRendererRss: run.baseRendererRss, smallPeakRendererRss: 0 }
      }
    },
    async run (round) {
      if (chromium === undefined || holder === undefined || remote === undefined || browser === undefined) return
      const out = join(options.dir, `gw-cli-${round}.bin`)
      const cli = await runCli(['--repo', join(options.dir, `gw-client-${round}`), 'get', link, '-o', out, '--bootstrap', holder.address, '--no-progress'])
      const size = (await stat(out)).size
      if (await fileSha256(out) !== sha) throw new Error('veil get wrote a file whose SHA-256 differs')
      await rm(out, { force: true })
      runs.cli.push(mbps(size, cli.ms))
      const local = await pageRun(browser, toGateway(link, holder.gateway), round === 0 ? sha : undefined)
      runs.local.push(local.mbps)
      memory.smallPeakHeap = Math.max(memory.smallPeakHeap, local.peakHeap)
      memory.smallPeakRendererRss = Math.max(memory.smallPeakRendererRss, local.peakRendererRss)
      const swarm = await pageRun(browser, toGateway(link, remote.gateway), round === 0 ? sha : undefined)
      runs.swarm.push(swarm.mbps)
    },
    result () {
      return {
        ...(chromium === undefined ? { skipped: 'no Chromium (apt-get install -y chromium)' } : {}),
        size: options.size,
        cliFetch: figure(runs.cli),
        pageLocal: figure(runs.local),
        pageSwarm: figure(runs.swarm),
        memory
      }
    },
    async close () {
      await browser?.close()
      for (const node of [remote, holder]) {
        if (node === undefined || node.proc.exitCode !== null) continue
        node.proc.kill('SIGTERM')
        await new Promise(resolve => { node.proc.once('exit', resolve); setTimeout(resolve, 20_000).unref() })
      }
    }
  }
}

/** The gateway form of a veil:// link on `gateway` (http://host:port/). */
function toGateway (link: string, gateway: string): string {
  const [body, key] = link.split('#')
  return `${gateway.replace(/\/$/, '')}/v/${body!.slice('veil://'.length)}#${key!}`
}

export function gatewayRows (r: GatewayBenchResult): Array<Record<string, string>> {
  const mib = `${r.size / MiB} MiB`
  return [
    { what: `veil get ${mib} by link from the holder (CLI process, its start included)`, 'MB/s': fmt(r.cliFetch.median), 'min–max': range(r.cliFetch) },
    { what: `gateway page ${mib}, gateway on the holder (blocks from its store)`, 'MB/s': fmt(r.pageLocal.median), 'min–max': range(r.pageLocal) },
    { what: `gateway page ${mib}, gateway fetching every block from the holder over the swarm`, 'MB/s': fmt(r.pageSwarm.median), 'min–max': range(r.pageSwarm) }
  ]
}

export function memoryLine (r: GatewayBenchResult): string {
  const mb = (bytes: number): string => fmt(bytes / 1e6, 1)
  return `Page memory (Chromium's Runtime.getHeapUsage: JS heap plus ArrayBuffers, peak of 100 ms samples): ${mb(r.memory.peakHeap)} MB while saving ${r.memory.size / MiB} MiB ` +
    `(${fmt(r.memory.mbps)} MB/s; ${mb(r.memory.baseHeap)} MB before the click), ${mb(r.memory.smallPeakHeap)} MB while saving ${r.size / MiB} MiB. ` +
    `Chromium's renderers (page and service worker, resident, which counts the blocks' ArrayBuffers too): peak ${mb(r.memory.peakRendererRss)} MB while saving ` +
    `${r.memory.size / MiB} MiB (${mb(r.memory.baseRendererRss)} MB before the click), ${mb(r.memory.smallPeakRendererRss)} MB while saving ${r.size / MiB} MiB.`
}

if (isMain(import.meta.url)) {
  await main(async () => {
    const flags = parseFlags(process.argv.slice(2))
    const size = Number(flags.get('mib') ?? 256) * MiB
    const runsWanted = Number(flags.get('runs') ?? 3)
    const dir = await tempDir('veil-bench-gateway-')
    const bench = gatewayBench({ size, memorySize: Number(flags.get('memory-mib') ?? 1024) * MiB, dir })
    await runBenches([bench], runsWanted, round => { console.error(`bench:gateway round ${round + 1} of ${runsWanted}`) })
    const result = bench.result()
    if (result.skipped !== undefined) { console.log(`gateway benchmark skipped: ${result.skipped}`); return }
    printTable(gatewayRows(result))
    console.log(memoryLine(result))
  })
}
