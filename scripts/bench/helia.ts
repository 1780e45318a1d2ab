/**
 * Helia (npm `helia` + `@helia/unixfs`) as the side-by-side reference of
 * `npm run bench`: each run adds the file in a fresh process, and cats it in
 * a fresh process over bitswap from one Helia node that added it once and
 * serves it for every run (as Veil's holder does). The processes are
 * helia-worker.js; see there for how Helia is configured.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { BenchChild } from './child.js'
import { figure, mbps, runWorker, type Bench, type Figure } from './lib.js'

interface AddRun { cid: string, ms: number, peakRss: number }
interface CatRun { ms: number, ttfbMs: number, bytes: number, peakRss: number }

export interface HeliaBenchOptions {
  size: number
  input: string
  dir: string
  /** Helia's default in-memory blockstore instead of a file blockstore. Default false. */
  memory?: boolean
}

/** MB/s and ms figures; peak RSS in bytes (the highest run). */
export interface HeliaBenchResult {
  add: Figure
  addPeakRss: number
  cat: Figure
  catTtfbMs: Figure
  catPeakRss: number
  /** The serving node: added once, then served every cat. */
  serverPeakRss: number
  cid: string
  blockstore: 'file' | 'memory'
}

/** Helia add of `input` in a fresh process with a fresh blockstore (removed after). */
export async function heliaAddRun (input: string, store: string, extra: string[] = []): Promise<AddRun> {
  try {
    return await runWorker<AddRun>('helia-worker.js', ['--role', 'add', '--file', input, '--store', store, ...extra])
  } finally {
    await rm(store, { recursive: true, force: true })
  }
}

/** Helia cat of `cid` from the node at `peer`, over bitswap, in a fresh process (its store and output removed after). */
export async function heliaCatRun (peer: string, cid: string, dir: string, extra: string[] = []): Promise<CatRun> {
  try {
    return await runWorker<CatRun>('helia-worker.js', ['--role', 'cat', '--peer', peer, '--cid', cid, '--store', join(dir, 'store'), '--out', join(dir, 'out.bin'), ...extra])
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export function heliaBench (options: HeliaBenchOptions): Bench<HeliaBenchResult> {
  const { size, input, dir } = options
  const extra = options.memory === true ? ['--memory'] : []
  let server: BenchChild | undefined
  let served: { addr: string, cid: string } | undefined
  const adds: AddRun[] = []
  const cats: CatRun[] = []
  return {
    async setup () {
      server = new BenchChild('helia-worker.js', ['--role', 'serve', '--file', input, '--store', join(dir, 'helia-server'), ...extra])
      served = await server.next<{ addr: string, cid: string }>()
    },
    async run (round) {
      const added = await heliaAddRun(input, join(dir, `helia-add-${round}`), extra)
      if (added.cid !== served!.cid) throw new Error(`Helia add gave ${added.cid}, the server ${served!.cid}: not the same file`)
      adds.push(added)
      const cat = await heliaCatRun(served!.addr, served!.cid, join(dir, `helia-cat-${round}`), extra)
      if (cat.bytes !== size) throw new Error(`Helia cat returned ${cat.bytes} bytes, not ${size}`)
      cats.push(cat)
    },
    result () {
      return {
        add: figure(adds.map(r => mbps(size, r.ms))),
        addPeakRss: Math.max(...adds.map(r => r.peakRss)),
        cat: figure(cats.map(r => mbps(r.bytes, r.ms))),
        catTtfbMs: figure(cats.map(r => r.ttfbMs)),
        catPeakRss: Math.max(...cats.map(r => r.peakRss)),
        serverPeakRss: server?.peakRss ?? 0,
        cid: served?.cid ?? '',
        blockstore: options.memory === true ? 'memory' : 'file'
      }
    },
    async close () {
      await server?.stop()
    }
  }
}
