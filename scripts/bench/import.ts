/**
 * npm run bench:import [-- --sizes 256,1024 --runs 3]
 *
 * Shares generated files (default 256 MiB and 1 GiB) into the level-indexed
 * block store and exports them back, each run in a fresh process, and in the
 * same run (interleaved, so drift hits both) measures the machine's
 * AES-256-GCM, SHA-256, level batch write/read and the store's block-file
 * writes. Prints MB/s, the ratios import/level-write and export/level-read,
 * and peak RSS per file size.
 */
import '../../src/platform/shim.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MiB, fmt, mbps, median, parseFlags, printTable, runWorker, writeRandomFile } from './lib.js'

interface ImportRun { importMs: number, exportMs: number, importRss: number, peakRss: number, size: number }
interface LevelRun { writeMs: number, readMs: number, bytes: number }
interface FilesRun { writeMs: number, bytes: number }
interface CryptoRun { sealMs: number, openMs: number, shaMs: number, bytes: number }

const flags = parseFlags(process.argv.slice(2))
const sizes = (flags.get('sizes') ?? '256,1024').split(',').map(s => Number(s) * MiB)
const runs = Number(flags.get('runs') ?? 3)
const referenceBytes = Number(flags.get('reference-mib') ?? 512) * MiB
const dir = await mkdtemp(join(tmpdir(), 'veil-bench-import-'))

const range = (values: number[]): string => `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`

try {
  const crypto = await runWorker<CryptoRun>('import-worker.js', ['--task', 'crypto', '--bytes', String(referenceBytes)])
  const inputs = new Map<number, string>()
  for (const size of sizes) {
    const file = join(dir, `input-${size}.bin`)
    await writeRandomFile(file, size)
    inputs.set(size, file)
  }

  const level: LevelRun[] = []
  const files: FilesRun[] = []
  const veil = new Map<number, ImportRun[]>(sizes.map(size => [size, []]))
  for (let r = 0; r < runs; r++) {
    const scratch = join(dir, `run-${r}`)
    level.push(await runWorker<LevelRun>('import-worker.js', ['--task', 'level', '--store', join(scratch, 'level'), '--bytes', String(referenceBytes)]))
    files.push(await runWorker<FilesRun>('import-worker.js', ['--task', 'files', '--store', join(scratch, 'files'), '--bytes', String(referenceBytes)]))
    await rm(scratch, { recursive: true, force: true })
    for (const size of sizes) {
      const store = join(dir, `store-${size}-${r}`)
      const out = join(dir, `out-${size}-${r}.bin`)
      veil.get(size)!.push(await runWorker<ImportRun>('import-worker.js', ['--task', 'import', '--file', inputs.get(size)!, '--store', store, '--out', out]))
      await rm(store, { recursive: true, force: true })
      await rm(out, { force: true })
    }
  }

  const levelWrite = level.map(r => mbps(r.bytes, r.writeMs))
  const levelRead = level.map(r => mbps(r.bytes, r.readMs))
  const fileWrite = files.map(r => mbps(r.bytes, r.writeMs))
  const rows: Array<Record<string, string | number>> = [
    { what: 'AES-256-GCM seal, 1 MiB blocks, one thread', 'MB/s': fmt(mbps(crypto.bytes, crypto.sealMs)), 'min–max': '' },
    { what: 'AES-256-GCM open, 1 MiB blocks, one thread', 'MB/s': fmt(mbps(crypto.bytes, crypto.openMs)), 'min–max': '' },
    { what: 'SHA-256, 1 MiB, one thread', 'MB/s': fmt(mbps(crypto.bytes, crypto.shaMs)), 'min–max': '' },
    { what: 'level batch write, 1 MiB values (its best case)', 'MB/s': fmt(median(levelWrite)), 'min–max': range(levelWrite) },
    { what: 'level read (get), 1 MiB values', 'MB/s': fmt(median(levelRead)), 'min–max': range(levelRead) },
    { what: 'block files write (the store\'s ceiling)', 'MB/s': fmt(median(fileWrite)), 'min–max': range(fileWrite) }
  ]
  const summary: Array<Record<string, string | number>> = []
  for (const size of sizes) {
    const results = veil.get(size)!
    const imp = results.map(r => mbps(size, r.importMs))
    const exp = results.map(r => mbps(size, r.exportMs))
    rows.push({ what: `Veil import ${size / MiB} MiB`, 'MB/s': fmt(median(imp)), 'min–max': range(imp) })
    rows.push({ what: `Veil export ${size / MiB} MiB`, 'MB/s': fmt(median(exp)), 'min–max': range(exp) })
    summary.push({
      size: `${size / MiB} MiB`,
      'import / level write': fmt(median(imp) / median(levelWrite), 2),
      'import / block files': fmt(median(imp) / median(fileWrite), 2),
      'export / level read': fmt(median(exp) / median(levelRead), 2),
      'peak RSS MB (import / whole run)': `${fmt(Math.max(...results.map(r => r.importRss)) / MiB, 0)} / ${fmt(Math.max(...results.map(r => r.peakRss)) / MiB, 0)}`
    })
  }
  console.log(`Veil import/export benchmark — ${runs} run(s), medians; references measured in the same run\n`)
  printTable(rows)
  console.log('')
  printTable(summary)
  console.log('\ntargets: import ≥ 0.9× level batch write; peak RSS for 1 GiB within 10% of 256 MiB and under 200 MB')
} finally {
  await rm(dir, { recursive: true, force: true })
}
