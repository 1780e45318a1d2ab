/**
 * How long does a node wait on the DHT? 20 storage nodes (processes, on
 * loopback), one share placed, then `samples` light clients — `concurrency`
 * at a time, each a fresh node — measure (1) joining: dial a bootstrap peer
 * until the DHT knows a peer, and (2) the first holder a look-up of the
 * share's root finds. Run it on a loaded machine: the defaults for
 * --join-timeout and the look-up deadline are sized from its tail.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { VeilNode } from '../../src/node/index.js'
import { writeRandomFile } from '../file-digest.js'

const NODE = fileURLToPath(new URL('./node.js', import.meta.url))

export interface DhtWaitReport {
  scenario: 'dht-wait'
  nodes: number
  samples: number
  concurrency: number
  joinMs: Distribution
  firstHolderMs: Distribution
  failures: string[]
}

export interface Distribution { min: number, p50: number, p90: number, p99: number, max: number }

function distribution (values: number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
  return { min: sorted[0] ?? NaN, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1) ?? NaN }
}

async function startProcess (repo: string, bootstrap?: string): Promise<{ child: ChildProcess, addr: string }> {
  const args = [NODE, '--repo', repo, '--storage', String(256 * 1024 * 1024), ...(bootstrap === undefined ? [] : ['--bootstrap', bootstrap])]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve)
    child.once('exit', code => { reject(new Error(`node exited (${code})`)) })
  })
  return { child, addr: (JSON.parse(line) as { addr: string }).addr }
}

export async function dhtWait (options: { nodes?: number, samples?: number, concurrency?: number, log?: (line: string) => void } = {}): Promise<DhtWaitReport> {
  const log = options.log ?? (() => {})
  const count = options.nodes ?? 20
  const samples = options.samples ?? 40
  const concurrency = options.concurrency ?? 4
  const dir = await mkdtemp(join(tmpdir(), 'veil-dht-wait-'))
  const children: ChildProcess[] = []
  try {
    const first = await startProcess(join(dir, 'n0'))
    children.push(first.child)
    const addrs = [first.addr]
    for (let i = 1; i < count; i++) {
      const p = await startProcess(join(dir, `n${i}`), first.addr)
      children.push(p.child)
      addrs.push(p.addr)
    }
    log(`${count} storage nodes up`)
    const sharer = await VeilNode.create({ bootstrap: [addrs[1]!], dhtServer: false, listen: [], bootstrapTimeoutMs: 120_000 })
    await sharer.start()
    await writeRandomFile(join(dir, 'file.bin'), 256 * 1024)
    const shared = await sharer.share(join(dir, 'file.bin'), { replicas: 3, keepLocal: false })
    await sharer.stop()
    log(`share placed on ${shared.replicas} nodes`)

    const joins: number[] = []
    const holders: number[] = []
    const failures: string[] = []
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < samples) {
        const i = next++
        const node = await VeilNode.create({ bootstrap: [addrs[i % count]!], dhtServer: false, listen: [], bootstrapTimeoutMs: 120_000 })
        const t0 = Date.now()
        try {
          await node.start()
          joins.push(Date.now() - t0)
          const t1 = Date.now()
          for await (const _ of node.findHolders(shared.cid, { enough: 1, timeoutMs: 120_000 })) { holders.push(Date.now() - t1); break }
        } catch (err) {
          failures.push((err as Error).message)
        } finally {
          await node.stop()
        }
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    return { scenario: 'dht-wait', nodes: count, samples, concurrency, joinMs: distribution(joins), firstHolderMs: distribution(holders), failures }
  } finally {
    for (const child of children) child.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
}
