/**
 * Scenario `churn`: 10 storage nodes, each a host on one bridge, and 20
 * shares (R = 3) from a light client. Every 10 s one random node (seeded) is
 * killed (SIGKILL) or a down one restarted, never more than 30 % down at
 * once. Then churning stops with whatever is down staying down; once every
 * live node has run a repair pass after the last change and reports no
 * backlog, a fresh client fetches every share and checks it byte for byte.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Testnet, type Host } from './netns.js'
import { startDaemon, until, veil, type VeilDaemon } from './veil-host.js'
import { sha256File, writeRandomFile } from '../file-digest.js'

export interface ChurnReport {
  scenario: 'churn'
  seed: number
  minutes: number
  nodes: number
  shares: number
  events: Array<{ atS: number, node: number, action: 'kill' | 'restart' }>
  downAtEnd: number
  /** From the end of churn until every live node reported a repair pass with no backlog. */
  repairSettledMs: number
  /** Units held across live nodes (each share is one unit) against shares × R. */
  copiesHeld: number
  copiesWanted: number
  fetched: number
  identical: number
  ok: boolean
}

function seeded (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6D2B79F5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface StorageStatus { storage?: { units: number, repairBacklog: number, lastRepair: { at: number } | null } }

export async function churnScenario (options: { minutes?: number, seed?: number, nodes?: number, shares?: number, everyMs?: number, log?: (line: string) => void } = {}): Promise<ChurnReport> {
  const log = options.log ?? (() => {})
  const minutes = options.minutes ?? 5
  const seed = options.seed ?? 1
  const count = options.nodes ?? 10
  const shareCount = options.shares ?? 20
  const everyMs = options.everyMs ?? 10_000
  const maxDown = Math.floor(count * 0.3)
  const random = seeded(seed)
  const net = new Testnet()
  const dir = await mkdtemp(join(tmpdir(), 'veil-testnet-churn-'))
  const running = new Map<number, VeilDaemon>()
  const env = { VEIL_TEST_MODE: '1' }
  try {
    const lan = net.namespace('lan')
    net.bridge(lan)
    const hosts: Host[] = Array.from({ length: count }, (_, i) => net.publicHost(`s${i}`, lan, `10.242.0.${10 + i}`))
    const client = net.publicHost('client', lan, '10.242.0.200')
    const key = join(dir, 'swarm.key')
    await veil(net, client, ['--repo', join(dir, 'client'), 'swarm', 'create', '-o', key])
    const swarm = ['--swarm-key', key]
    const start = async (i: number, bootstrap: string[]): Promise<void> => {
      const args = [...swarm, '--storage', '256MiB', '--no-relay-server', '--no-behind-nat', ...(bootstrap.length > 0 ? ['--bootstrap', bootstrap.join(',')] : [])]
      running.set(i, await startDaemon(net, hosts[i]!, join(dir, `s${i}`), args, env))
    }
    await start(0, [])
    const ids: string[] = [running.get(0)!.addresses[0]!]
    for (let i = 1; i < count; i++) {
      await start(i, [ids[0]!])
      ids.push(running.get(i)!.addresses[0]!)
    }
    // Every node's stable address (same repo, same port): restarts join through any of them.
    const everyone = ids
    log(`${count} storage nodes up`)

    const files: Array<{ link: string, digest: string }> = []
    for (let i = 0; i < shareCount; i++) {
      const file = join(dir, `f${i}.bin`)
      await writeRandomFile(file, 64 * 1024 + Math.floor(random() * 2 * 1024 * 1024))
      const r = await veil(net, client, ['--repo', join(dir, 'client'), 'share', file, ...swarm, '--bootstrap', everyone.join(','), '--json'], 120_000, env)
      if (r.code !== 0) throw new Error(`share ${i} failed: ${r.stderr}`)
      files.push({ link: (JSON.parse(r.stdout) as { link: string }).link, digest: await sha256File(file) })
    }
    log(`${shareCount} shares placed`)

    const events: ChurnReport['events'] = []
    const began = Date.now()
    let lastChange = Date.now()
    while (Date.now() - began < minutes * 60_000) {
      await new Promise(resolve => setTimeout(resolve, everyMs))
      const down = [...Array(count).keys()].filter(i => !running.has(i))
      const up = [...running.keys()]
      const kill = down.length === 0 || (down.length < maxDown && random() < 0.5)
      if (kill) {
        const i = up[Math.floor(random() * up.length)]!
        await running.get(i)!.kill()
        running.delete(i)
        events.push({ atS: Math.round((Date.now() - began) / 1000), node: i, action: 'kill' })
      } else {
        const i = down[Math.floor(random() * down.length)]!
        await start(i, everyone.filter((_, j) => j !== i))
        events.push({ atS: Math.round((Date.now() - began) / 1000), node: i, action: 'restart' })
      }
      lastChange = Date.now()
      log(`${events.at(-1)!.action} s${events.at(-1)!.node}; ${count - running.size} down`)
    }

    // Repair: every live node has run a pass since the last change, with no backlog.
    const settledMs = await until('repair to settle on every live node', async () => {
      const states = await Promise.all([...running.values()].map(async d => {
        const r = await veil(net, d.host, ['--repo', d.repo, 'status', '--json'], 20_000)
        return r.code === 0 ? (JSON.parse(r.stdout) as StorageStatus).storage : undefined
      }))
      return states.every(s => s !== undefined && s.lastRepair !== null && s.lastRepair.at > lastChange + 1_000 && s.repairBacklog === 0)
    }, 180_000, 2_000)
    let held = 0
    for (const d of running.values()) {
      const r = await veil(net, d.host, ['--repo', d.repo, 'status', '--json'], 20_000)
      held += r.code === 0 ? (JSON.parse(r.stdout) as StorageStatus).storage?.units ?? 0 : 0
    }
    log(`repair settled ${settledMs} ms after churn ended; ${held} copies on live nodes`)

    let identical = 0
    let fetched = 0
    const live = [...running.values()].map(d => d.addresses[0]!)
    for (const [i, file] of files.entries()) {
      const out = join(dir, `out${i}.bin`)
      const r = await veil(net, client, ['--repo', join(dir, 'fetch'), 'get', file.link, '-o', out, ...swarm, '--bootstrap', live.join(','), '--json'], 120_000)
      if (r.code !== 0) { log(`fetch ${i} failed: ${r.stderr.trim()}`); continue }
      fetched++
      if (await sha256File(out) === file.digest) identical++
    }
    const wanted = shareCount * 3
    return {
      scenario: 'churn',
      seed,
      minutes,
      nodes: count,
      shares: shareCount,
      events,
      downAtEnd: count - running.size,
      repairSettledMs: settledMs,
      copiesHeld: held,
      copiesWanted: wanted,
      fetched,
      identical,
      ok: identical === shareCount && held >= wanted
    }
  } finally {
    await Promise.all([...running.values()].map(async d => { await d.kill().catch(() => {}) }))
    await net.destroy()
    await rm(dir, { recursive: true, force: true })
  }
}
