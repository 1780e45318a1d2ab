/**
 * npm run bench:import [-- --sizes 256,1024 --runs 3]
 *
 * Shares generated files (default 256 MiB and 1 GiB) into a level store and
 * exports them back, each run in a fresh process, and in the same run
 * measures the machine's AES-256-GCM, SHA-256 and level batch-write/read
 * rates. Prints MB/s, the ratios import/level-write and export/level-read, and
 * peak RSS per file size.
 */
import '../../src/platform/shim.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MiB, fmt, mbps, median, parseFlags, printTable, runWorker, writeRandomFile } from './lib.js'

interface ImportRun { importMs: number, exportMs: number, importRss: number, peakRss: number, size: number }
interface LevelRun { writeMs: number, readMs: number, bytes: number }
interface CryptoRun { sealMs: number, openMs: number, shaMs: number, bytes: number }

const flags = parseFlags(process.argv.slice(2))
const sizes = (flags.get('sizes') ?? '256,1024').split(',').map(s => Number(s) * MiB)
const runs = Number(flags.get('runs') ?? 3)
const dir = await mkdtemp(join(tmpdir(), 'veil-bench-import-'))

try {
  const crypto = await runWorker<CryptoRun>('import-worker.js', ['--task', 'crypto', '--bytes', String(512 * MiB)])
  const levelRuns: LevelRun[] = []
  for (let r = 0; r < runs; r++) {
    levelRuns.push(await runWorker<LevelRun>('import-worker.js', ['--task', 'level', '--store', join(dir, `level-${r}`), '--bytes', String(512 * MiB)]))
    await rm(join(dir, `level-${r}`), { recursive: true, force: true })
  }
  const levelWrite = median(levelRuns.map(r => mbps(r.bytes, r.writeMs)))
  const levelRead = median(levelRuns.map(r => mbps(r.bytes, r.readMs)))

  const rows: Array<Record<string, string | number>> = [
    { what: 'AES-256-GCM seal, 1 MiB blocks', 'MB/s': fmt(mbps(crypto.bytes, crypto.sealMs)), note: '' },
    { what: 'AES-256-GCM open, 1 MiB blocks', 'MB/s': fmt(mbps(crypto.bytes, crypto.openMs)), note: '' },
    { what: 'SHA-256, 1 MiB', 'MB/s': fmt(mbps(crypto.bytes, crypto.shaMs)), note: '' },
    { what: 'level batch write (8 × 1 MiB, 3 in flight)', 'MB/s': fmt(levelWrite), note: `median of ${runs}` },
    { what: 'level read (get)', 'MB/s': fmt(levelRead), note: `median of ${runs}` }
  ]
  const summary: Array<Record<string, string | number>> = []
  for (const size of sizes) {
    const file = join(dir, `input-${size}.bin`)
    await writeRandomFile(file, size)
    const results: ImportRun[] = []
    for (let r = 0; r < runs; r++) {
      const store = join(dir, `store-${size}-${r}`)
      const out = join(dir, `out-${size}-${r}.bin`)
      results.push(await runWorker<ImportRun>('import-worker.js', ['--task', 'import', '--file', file, '--store', store, '--out', out]))
      await rm(store, { recursive: true, force: true })
      await rm(out, { force: true })
    }
    await rm(file, { force: true })
    const imp = results.map(r => mbps(size, r.importMs))
    const exp = results.map(r => mbps(size, r.exportMs))
    const rss = Math.max(...results.map(r => r.peakRss)) / MiB
    rows.push({ what: `Veil import ${size / MiB} MiB → level`, 'MB/s': fmt(median(imp)), note: `min–max ${fmt(Math.min(...imp))}–${fmt(Math.max(...imp))}` })
    rows.push({ what: `Veil export ${size / MiB} MiB ← level`, 'MB/s': fmt(median(exp)), note: `min–max ${fmt(Math.min(...exp))}–${fmt(Math.max(...exp))}` })
    summary.push({
      size: `${size / MiB} MiB`,
      'import / level write': fmt(median(imp) / levelWrite, 2),
      'export / level read': fmt(median(exp) / levelRead, 2),
      'peak RSS MB': fmt(rss, 0)
    })
  }
  printTable(rows)
  console.log('')
  printTable(summary)
  console.log('\ntargets: import ≥ 0.9× level batch write; peak RSS for 1 GiB within 10% of 256 MiB and under 200 MB')
} finally {
  await rm(dir, { recursive: true, force: true })
}
