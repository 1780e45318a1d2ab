/**
 * CPU profiles for `npm run bench -- --profile`: a bench process profiles
 * itself (node:inspector) over exactly the work measured — a fetcher over
 * its fetch, a holder from when it is ready until it stops, so its own share
 * is left out — and writes a .cpuprofile when VEIL_BENCH_PROFILE_DIR is set.
 * `breakdown` then says where the time went, by what the issue asks about:
 * Noise, Yamux, framing and copies, SHA-256, AES-GCM, file I/O, GC, idle.
 */
import { Session } from 'node:inspector/promises'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const PROFILE_DIR_ENV = 'VEIL_BENCH_PROFILE_DIR'

/** Start profiling this process if asked to; the returned function stops and writes `<dir>/<name>.cpuprofile`. */
export async function profileIfAsked (name: string): Promise<() => Promise<void>> {
  const dir = process.env[PROFILE_DIR_ENV]
  if (dir === undefined || dir === '') return async () => {}
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 500 })
  await session.post('Profiler.start')
  return async () => {
    const { profile } = await session.post('Profiler.stop')
    session.disconnect()
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, `${name}.cpuprofile`), JSON.stringify(profile))
  }
}

interface CallFrame { functionName: string, url: string }
interface ProfileNode { id: number, callFrame: CallFrame, children?: number[] }
interface CpuProfile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

export const CATEGORIES = ['Noise', 'Yamux', 'TCP sockets', 'framing and copies', 'SHA-256', 'AES-GCM', 'file I/O', 'GC', 'idle', 'other'] as const
export type Category = typeof CATEGORIES[number]

/**
 * A sample is charged to the code that asked for the work: walking from the
 * leaf up, node's own internals and native code are skipped (a cipher's
 * `update` serves Noise and AES-GCM alike) until a frame of a package or of
 * Veil decides — except node's fs, which is file I/O wherever it is called.
 */
const RULES: Array<{ category: Category, match: (frame: CallFrame) => boolean }> = [
  { category: 'Noise', match: f => f.url.includes('libp2p-noise') },
  { category: 'Yamux', match: f => f.url.includes('libp2p-yamux') },
  { category: 'SHA-256', match: f => /src\/(crypto\/hash|format\/cid|blockstore\/block-checks)\.js/.test(f.url) || /^(sha256|digest)/i.test(f.functionName) },
  { category: 'AES-GCM', match: f => /src\/crypto\/(aead|async|pool)\.js/.test(f.url) },
  { category: 'file I/O', match: f => f.url.includes('internal/fs') || /src\/(blockstore|exporter\/(file-output|background-flush))/.test(f.url) },
  { category: 'framing and copies', match: f => /uint8arraylist|@libp2p\/utils|it-length-prefixed|src\/protocol\//.test(f.url) },
  { category: 'TCP sockets', match: f => f.url === 'node:net' || f.url.includes('@libp2p/tcp') }
]

const FS_NATIVE = /^(read|open|openFileHandle|close|fsync|fdatasync|fstat|rename|unlink|mkdir|readFileUtf8)$/

/** Node's own internals and native code: they work for whoever called them. */
function generic (frame: CallFrame): boolean {
  return frame.url === '' || (frame.url.startsWith('node:internal/') && !frame.url.includes('internal/fs'))
}

/** The profiler's own work (stopping and serialising the profile): left out of the breakdown. */
const PROFILER = 'node:inspector'

export type Breakdown = Record<Category, number> & { totalMs: number }

/** Milliseconds of a profile spent in each category. */
export async function breakdown (path: string): Promise<Breakdown> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile
  const nodes = new Map(profile.nodes.map(node => [node.id, node]))
  const parents = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
  const cache = new Map<number, Category>()
  const categoryOf = (id: number): Category => {
    const known = cache.get(id)
    if (known !== undefined) return known
    const leaf = nodes.get(id)!.callFrame.functionName
    let category: Category = leaf === '(idle)' ? 'idle' : leaf === '(garbage collector)' ? 'GC' : 'other'
    if (category === 'other' && nodes.get(id)!.callFrame.url === '' && FS_NATIVE.test(leaf)) category = 'file I/O'
    else if (category === 'other') {
      for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
        const frame = nodes.get(at)!.callFrame
        if (generic(frame)) continue
        category = RULES.find(r => r.match(frame))?.category ?? 'other'
        break
      }
    }
    cache.set(id, category)
    return category
  }
  const profiler = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) if (nodes.get(at)!.callFrame.url === PROFILER) return true
    return false
  }
  const result = Object.fromEntries(CATEGORIES.map(c => [c, 0])) as Breakdown
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    const ms = (profile.timeDeltas[i] ?? 0) / 1000
    if (profiler(id)) continue
    result[categoryOf(id)] += ms
    total += ms
  }
  result.totalMs = total
  return result
}

/** A breakdown as table rows: ms and share of the profile's time. */
export function breakdownRows (name: string, b: Breakdown): Array<Record<string, string | number>> {
  return CATEGORIES.map(c => ({ process: name, part: c, ms: Math.round(b[c]), share: `${(100 * b[c] / b.totalMs).toFixed(1)} %` }))
}
