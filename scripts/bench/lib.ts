/**
 * Shared helpers of the benchmark scripts: child processes that report JSON,
 * medians, MB/s and table printing. Benchmarks print ratios against
 * references measured in the same run, so the machine's speed cancels out.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { open } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'

export const MiB = 1024 * 1024
export const GiB = 1024 * MiB

/** Directory of the compiled bench scripts (dist/scripts/bench). */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url))

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** MB/s (10^6 bytes per second, as disks and networks are quoted). */
export function mbps (bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000)
}

export function fmt (value: number, digits = 1): string {
  return value.toFixed(digits)
}

/** Run a compiled bench worker in its own process; resolve with the JSON it prints last. */
export async function runWorker<T> (script: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    const child = spawn(process.execPath, [join(BENCH_DIR, script), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...options.env }
    })
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => { out += chunk })
    child.on('error', reject)
    child.on('exit', code => {
      if (code !== 0) { reject(new Error(`${script} exited with code ${code}`)); return }
      const last = out.trim().split('\n').pop() ?? ''
      try { resolve(JSON.parse(last) as T) } catch (err) { reject(new Error(`${script} printed no JSON result: ${String(err)}`)) }
    })
  })
}

/** Peak resident set size of this process so far, in bytes. */
export function peakRss (): number {
  return process.resourceUsage().maxRSS * 1024
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

export function printTable (rows: Array<Record<string, string | number>>): void {
  if (rows.length === 0) return
  const headers = Object.keys(rows[0]!)
  const widths = headers.map(h => Math.max(h.length, ...rows.map(r => String(r[h] ?? '').length)))
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |'
  console.log(line(headers))
  console.log('|' + widths.map(w => '-'.repeat(w + 2)).join('|') + '|')
  for (const row of rows) console.log(line(headers.map(h => String(row[h] ?? ''))))
}
