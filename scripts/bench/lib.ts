/**
 * Shared helpers of the benchmark scripts: child processes that report JSON,
 * figures (median, min–max over runs), MB/s, table printing, and the clean-up
 * of every process and temp folder a benchmark starts (Ctrl-C included).
 * Benchmarks print ratios against references measured in the same run, so the
 * machine's speed cancels out.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join, resolve } from 'node:path'
import { mkdtemp, open } from 'node:fs/promises'
import { appendFileSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { randomBytes } from 'node:crypto'

export const MiB = 1024 * 1024
export const GiB = 1024 * MiB

/** Directory of the compiled bench scripts (dist/scripts/bench). */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url))

/** True when the module at `url` is the script node was started with. */
export function isMain (url: string): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(url)
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** One measured quantity over all runs: its median, range and every value. */
export interface Figure {
  median: number
  min: number
  max: number
  runs: number[]
}

export function figure (values: number[]): Figure {
  if (values.length === 0) throw new Error('a figure needs at least one run')
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values }
}

/** "min–max" of a figure, for tables. */
export function range (f: Figure, digits = 1): string {
  return `${fmt(f.min, digits)}–${fmt(f.max, digits)}`
}

/** MB/s (10^6 bytes per second, as disks and networks are quoted). */
export function mbps (bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000)
}

export function fmt (value: number, digits = 1): string {
  return value.toFixed(digits)
}

/**
 * A measurement that runs once per round: `run` does one run of each of its
 * parts; `result` summarises every run so far. The CLIs run one bench for
 * N rounds; `all.ts` runs several round-robin, so drift hits each alike.
 */
export interface Bench<R> {
  /** Start what every run shares (input files, serving nodes). */
  setup?: () => Promise<void>
  run: (round: number) => Promise<void>
  result: () => R
  /** Stop what `setup` started. */
  close?: () => Promise<void>
}

/** Set every bench up, run `runs` rounds (each bench once per round), close them all. */
export async function runBenches (benches: Array<Bench<unknown>>, runs: number, onRound?: (round: number) => void): Promise<void> {
  try {
    for (const bench of benches) await bench.setup?.()
    for (let r = 0; r < runs; r++) {
      onRound?.(r)
      for (const bench of benches) await bench.run(r)
    }
  } finally {
    for (const bench of benches) await bench.close?.()
  }
}

/** Child processes still running, and temp folders still present: removed on exit or Ctrl-C. */
const liveChildren = new Set<ChildProcess>()
const tempDirs = new Set<string>()

/**
 * Spawn a compiled bench script (relative to dist/scripts/bench) as a tracked
 * child; with `ns`, inside that network namespace (`ip netns exec` execs node
 * itself, so the child's pid, signals and /proc status are node's).
 */
export function spawnScript (script: string, args: string[], env: NodeJS.ProcessEnv = {}, ns?: string): ChildProcess {
  const command = [process.execPath, join(BENCH_DIR, script), ...args]
  const [file, ...rest] = ns === undefined ? command : ['ip', 'netns', 'exec', ns, ...command]
  const child = spawn(file!, rest, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env }
  })
  liveChildren.add(child)
  child.on('exit', () => { liveChildren.delete(child) })
  child.on('error', () => { liveChildren.delete(child) })
  return child
}

/** A temp folder that is removed when the benchmark ends, however it ends. */
export async function tempDir (prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

/** Clean-ups registered by benchmarks that build more than processes and folders (network namespaces). */
const cleanUps = new Set<() => Promise<void>>()

/** Run `fn` when the benchmark ends however it ends (after its children are killed); returns a function that unregisters it. */
export function onCleanUp (fn: () => Promise<void>): () => void {
  cleanUps.add(fn)
  return () => { cleanUps.delete(fn) }
}

/** Kill every child still running and remove every temp folder (synchronously: safe in signal handlers). */
export function cleanUpNow (): void {
  for (const child of liveChildren) child.kill('SIGKILL')
  liveChildren.clear()
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
  tempDirs.clear()
}

/** `cleanUpNow`, then every registered clean-up (each failure ignored: the others still run). */
export async function cleanUpAll (): Promise<void> {
  cleanUpNow()
  const pending = [...cleanUps]
  cleanUps.clear()
  await Promise.all(pending.map(async fn => { await fn().catch(() => {}) }))
}

/**
 * Run a benchmark's main: on success or failure, and on SIGINT/SIGTERM,
 * every child is stopped and every temp folder removed. Exit code 1 if the
 * benchmark threw (a measurement failed), 130 on Ctrl-C.
 */
export async function main (body: () => Promise<void>): Promise<void> {
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\nbench: ${signal}, stopping every benchmark process and removing temp files`)
    void cleanUpAll().finally(() => { process.exit(signal === 'SIGINT' ? 130 : 143) })
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    await body()
  } catch (err) {
    console.error(`bench: a measurement failed: ${(err as Error).stack ?? String(err)}`)
    process.exitCode = 1
  } finally {
    await cleanUpAll()
  }
}

/** Run a compiled bench worker in its own process; resolve with the JSON it prints last. */
export async function runWorker<T> (script: string, args: string[], options: { env?: NodeJS.ProcessEnv, timeoutMs?: number } = {}): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    const child = spawnScript(script, args, options.env)
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${script} ${args.join(' ')} gave no result in time`)) }, options.timeoutMs ?? 600_000)
    let out = ''
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (chunk: string) => { out += chunk })
    child.on('error', err => { clearTimeout(timer); reject(err) })
    child.on('exit', code => {
      clearTimeout(timer)
      if (code !== 0) { reject(new Error(`${script} ${args.join(' ')} exited with code ${code}`)); return }
      const last = out.trim().split('\n').pop() ?? ''
      try { resolve(JSON.parse(last) as T) } catch (err) { reject(new Error(`${script} printed no JSON result: ${String(err)}`)) }
    })
  })
}

/** Peak resident set size of this process so far, in bytes. */
export function peakRss (): number {
  return process.resourceUsage().maxRSS * 1024
}

/** Peaks of `process.memoryUsage()` parts over a measurement, bytes: where a peak RSS comes from. */
export interface MemoryPeaks { rss: number, heapUsed: number, external: number, arrayBuffers: number }

/** With this set to a file path, `sampleMemory` also appends every sample to it (ms, rss, heapUsed, external, arrayBuffers in MB). */
export const MEMORY_TRACE_ENV = 'VEIL_BENCH_MEMORY_TRACE'

/** Sample `process.memoryUsage()` every `everyMs` until the returned function is called; it returns the peaks. */
export function sampleMemory (everyMs = 250): () => MemoryPeaks {
  const peaks: MemoryPeaks = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }
  const trace = process.env[MEMORY_TRACE_ENV]
  const started = performance.now()
  const sample = (): void => {
    const now = process.memoryUsage()
    for (const key of ['rss', 'heapUsed', 'external', 'arrayBuffers'] as const) peaks[key] = Math.max(peaks[key], now[key])
    if (trace !== undefined && trace !== '') {
      const mb = (bytes: number): string => (bytes / MiB).toFixed(1)
      appendFileSync(trace, `${Math.round(performance.now() - started)} ${mb(now.rss)} ${mb(now.heapUsed)} ${mb(now.external)} ${mb(now.arrayBuffers)}\n`)
    }
  }
  const timer = setInterval(sample, everyMs)
  timer.unref()
  return () => { clearInterval(timer); sample(); return peaks }
}

/** Peak resident set size of a running process (Linux VmHWM), in bytes; undefined elsewhere. */
export function peakRssOf (pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match === null ? undefined : Number(match[1]) * 1024
  } catch {
    return undefined
  }
}

/** Write `size` random bytes (incompressible, like real media) to `path`. */
export async function writeRandomFile (path: string, size: number): Promise<void> {
  const handle = await open(path, 'w')
  try {
    const chunk = randomBytes(4 * MiB)
    for (let written = 0; written < size;) {
      const n = Math.min(chunk.length, size - written)
      // Vary the content cheaply so no two chunks repeat (no accidental dedup).
      chunk.writeUInt32LE(written / chunk.length, 0)
      await handle.write(chunk, 0, n)
      written += n
    }
  } finally {
    await handle.close()
  }
}

export function parseFlags (argv: string[]): Map<string, string> {
  const flags = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('--')) continue
    const next = argv[i + 1]
    if (next !== undefined && !next.startsWith('--')) { flags.set(arg.slice(2), next); i++ } else flags.set(arg.slice(2), 'true')
  }
  return flags
}

/** A table as GitHub-flavoured Markdown lines (also how it is printed). */
export function tableLines (rows: Array<Record<string, string | number>>): string[] {
  if (rows.length === 0) return []
  const headers = Object.keys(rows[0]!)
  const widths = headers.map(h => Math.max(h.length, ...rows.map(r => String(r[h] ?? '').length)))
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |'
  return [line(headers), '|' + widths.map(w => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(row => line(headers.map(h => String(row[h] ?? ''))))]
}

export function printTable (rows: Array<Record<string, string | number>>): void {
  for (const line of tableLines(rows)) console.log(line)
}
