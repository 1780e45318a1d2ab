/**
 * npm run bench:import [-- --sizes 256,1024 --runs 3]
 *
 * Shares generated files (default 256 MiB and 1 GiB) into the level-indexed
 * block store and exports them back, each run in a fresh process, and in the
 * same run (interleaved, so drift hits both) measures the machine's
 * AES-256-GCM, SHA-256, level batch write/read and the store's block-file
 * writes. Prints MB/s, the ratios import/level-write and export/level-read,
 * and peak RSS per file size.
 *
 * `importBench` is also one part of `npm run bench` (all.ts), which uses its
 * crypto and level figures as the machine's limits.
 */
import '../../src/platform/index.js'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { MiB, figure, fmt, main, mbps, isMain, parseFlags, printTable, range, runBenches, runWorker, tempDir, writeRandomFile, type Bench, type Figure } from './lib.js'

interface ImportRun { importMs: number, exportMs: number, importRss: number, peakRss: number, size: number }
interface LevelRun { writeMs: number, readMs: number, bytes: number }
interface FilesRun { writeMs: number, bytes: number }
interface CryptoRun { sealMs: number, openMs: number, shaMs: number, bytes: number }

export interface ImportBenchOptions {
  /** Veil import/export sizes in bytes ([] measures the references only). */
  sizes: number[]
  /** Bytes the references (AES, SHA-256, level, block files) process per run. */
  referenceBytes: number
  /** Also measure the store's block files alone. Default true. */
  blockFiles?: boolean
  /** Parent folder for inputs and stores. */
  dir: string
}

/** MB/s figures over all runs; peak RSS in bytes (the highest run). */
export interface ImportBenchResult {
  aesSeal: Figure
  aesOpen: Figure
  sha256: Figure
  levelWrite: Figure
  levelRead: Figure
  blockFilesWrite?: Figure
  imports: Array<{ size: number, import: Figure, export: Figure, importRss: number, peakRss: number }>
}

/** AES-256-GCM seal/open and SHA-256 over `bytes`, 1 MiB at a time, in a fresh process. */
export async function cryptoRun (bytes: number): Promise<CryptoRun> {
  return await runWorker<CryptoRun>('import-worker.js', ['--task', 'crypto', '--bytes', String(bytes)])
}

/** level batch write then read of `bytes` as 1 MiB values, in a fresh process (its store is removed after). */
export async function levelRun (store: string, bytes: number): Promise<LevelRun> {
  try {
    return await runWorker<LevelRun>('import-worker.js', ['--task', 'level', '--store', store, '--bytes', String(bytes)])
  } finally {
    await rm(store, { recursive: true, force: true })
  }
}

export function importBench (options: ImportBenchOptions): Bench<ImportBenchResult> {
  const { sizes, referenceBytes, dir } = options
  const blockFiles = options.blockFiles ?? true
  const inputs = new Map<number, string>()
  const crypto: CryptoRun[] = []
  const level: LevelRun[] = []
  const files: FilesRun[] = []
  const veil = new Map<number, ImportRun[]>(sizes.map(size => [size, []]))
  return {
    async setup () {
      for (const size of sizes) {
        const file = join(dir, `import-input-${size}.bin`)
        await writeRandomFile(file, size)
        inputs.set(size, file)
      }
    },
    async run (r) {
      crypto.push(await cryptoRun(referenceBytes))
      level.push(await levelRun(join(dir, `level-${r}`), referenceBytes))
      if (blockFiles) {
        const store = join(dir, `files-${r}`)
        files.push(await runWorker<FilesRun>('import-worker.js', ['--task', 'files', '--store', store, '--bytes', String(referenceBytes)]))
        await rm(store, { recursive: true, force: true })
      }
      for (const size of sizes) {
        const store = join(dir, `store-${size}-${r}`)
        const out = join(dir, `out-${size}-${r}.bin`)
        veil.get(size)!.push(await runWorker<ImportRun>('import-worker.js', ['--task', 'import', '--file', inputs.get(size)!, '--store', store, '--out', out]))
        await rm(store, { recursive: true, force: true })
        await rm(out, { force: true })
      }
    },
    result () {
      return {
        aesSeal: figure(crypto.map(r => mbps(r.bytes, r.sealMs))),
        aesOpen: figure(crypto.map(r => mbps(r.bytes, r.openMs))),
        sha256: figure(crypto.map(r => mbps(r.bytes, r.shaMs))),
        levelWrite: figure(level.map(r => mbps(r.bytes, r.writeMs))),
        levelRead: figure(level.map(r => mbps(r.bytes, r.readMs))),
        blockFilesWrite: blockFiles ? figure(files.map(r => mbps(r.bytes, r.writeMs))) : undefined,
        imports: sizes.map(size => {
          const runs = veil.get(size)!
          return {
            size,
            import: figure(runs.map(r => mbps(size, r.importMs))),
            export: figure(runs.map(r => mbps(size, r.exportMs))),
            importRss: Math.max(...runs.map(r => r.importRss)),
            peakRss: Math.max(...runs.map(r => r.peakRss))
          }
        })
      }
    }
  }
}

function printImportBench (result: ImportBenchResult, runs: number): void {
  const rows: Array<Record<string, string | number>> = [
    { what: 'AES-256-GCM seal, 1 MiB blocks, one thread', 'MB/s': fmt(result.aesSeal.median), 'min–max': range(result.aesSeal) },
    { what: 'AES-256-GCM open, 1 MiB blocks, one thread', 'MB/s': fmt(result.aesOpen.median), 'min–max': range(result.aesOpen) },
    { what: 'SHA-256, 1 MiB, one thread', 'MB/s': fmt(result.sha256.median), 'min–max': range(result.sha256) },
    { what: 'level batch write, 1 MiB values (its best case)', 'MB/s': fmt(result.levelWrite.median), 'min–max': range(result.levelWrite) },
    { what: 'level read (get), 1 MiB values', 'MB/s': fmt(result.levelRead.median), 'min–max': range(result.levelRead) },
    { what: 'block files write (the store\'s ceiling)', 'MB/s': fmt(result.blockFilesWrite!.median), 'min–max': range(result.blockFilesWrite!) }
  ]
  const summary: Array<Record<string, string | number>> = []
  for (const { size, import: imp, export: exp, importRss, peakRss } of result.imports) {
    rows.push({ what: `Veil import ${size / MiB} MiB`, 'MB/s': fmt(imp.median), 'min–max': range(imp) })
    rows.push({ what: `Veil export ${size / MiB} MiB`, 'MB/s': fmt(exp.median), 'min–max': range(exp) })
    summary.push({
      size: `${size / MiB} MiB`,
      'import / level write': fmt(imp.median / result.levelWrite.median, 2),
      'import / block files': fmt(imp.median / result.blockFilesWrite!.median, 2),
      'export / level read': fmt(exp.median / result.levelRead.median, 2),
      'peak RSS MB (import / whole run)': `${fmt(importRss / MiB, 0)} / ${fmt(peakRss / MiB, 0)}`
    })
  }
  console.log(`Veil import/export benchmark — ${runs} run(s), medians; references measured in the same run\n`)
  printTable(rows)
  console.log('')
  printTable(summary)
  console.log('\ntargets: import ≥ 0.9× level batch write; peak RSS for 1 GiB within 10% of 256 MiB and under 200 MB')
}

if (isMain(import.meta.url)) {
  await main(async () => {
    const flags = parseFlags(process.argv.slice(2))
    const runs = Number(flags.get('runs') ?? 3)
    const bench = importBench({
      sizes: (flags.get('sizes') ?? '256,1024').split(',').map(s => Number(s) * MiB),
      referenceBytes: Number(flags.get('reference-mib') ?? 512) * MiB,
      dir: await tempDir('veil-bench-import-')
    })
    await runBenches([bench], runs)
    printImportBench(bench.result(), runs)
  })
}
