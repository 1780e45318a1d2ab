/**
 * Scenario `partition`: 8 storage nodes and a client on each side, every
 * host behind the user-space relay (5 ms one way). Once all have joined, the
 * relay splits them 4/4. Each side's client shares a file (R = 3, landing on
 * its own side) and fetches it back on its side. After the split has lasted
 * `holdMs` (default 60 s), the relay heals the
 * split, and each client fetches the other side's file, again and again
 * (each try bounded by --join-timeout and the look-up deadline), until it
 * succeeds: the time from the heal to that success is how long the DHT took
 * to find the holders across the old split.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Testnet, type Host } from './netns.js'
import { DelayRelay } from './tun-relay.js'
import { startDaemon, veil, type VeilDaemon } from './veil-host.js'
import { sha256File, writeRandomFile } from '../file-digest.js'

export interface PartitionReport {
  scenario: 'partition'
  nodes: number
  fileMiB: number
  /** Fetch on each side of the split of what that side holds. */
  sameSide: Array<{ side: number, ok: boolean, ms: number }>
  /** How long the sides were apart. */
  splitMs: number
  /** After the heal: per side, tries and ms from the heal until the other side's file was fetched. */
  acrossAfterHeal: Array<{ side: number, ok: boolean, tries: number, msSinceHeal: number }>
  sha256Match: boolean
}

export async function partitionScenario (options: { fileMiB?: number, maxWaitMs?: number, holdMs?: number, log?: (line: string) => void } = {}): Promise<PartitionReport> {
  const log = options.log ?? (() => {})
  const fileMiB = options.fileMiB ?? 4
  const maxWaitMs = options.maxWaitMs ?? 300_000
  const net = new Testnet()
  const dir = await mkdtemp(join(tmpdir(), 'veil-testnet-partition-'))
  const daemons: VeilDaemon[] = []
  try {
    const names = ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 'c0', 'c1']
    const relay = await DelayRelay.start(net, names, 21)
    relay.set(5, 1, 0)
    const hosts = relay.hosts
    const key = join(dir, 'swarm.key')
    await veil(net, hosts[8]!, ['--repo', join(dir, 'c0'), 'swarm', 'create', '-o', key])
    const swarm = ['--swarm-key', key]
    const env = { VEIL_TEST_MODE: '1' }
    const args = [...swarm, '--storage', '1GiB', '--no-relay-server', '--no-behind-nat']
    daemons.push(await startDaemon(net, hosts[0]!, join(dir, 's0'), args, env))
    for (let i = 1; i < 8; i++) daemons.push(await startDaemon(net, hosts[i]!, join(dir, `s${i}`), [...args, '--bootstrap', daemons[0]!.addresses[0]!], env))
    log('8 storage nodes joined')

    relay.partition([0, 0, 0, 0, 1, 1, 1, 1, 0, 1])
    const splitAt = Date.now()
    const side = (s: number): string[] => daemons.slice(s * 4, s * 4 + 4).map(d => d.addresses[0]!)
    const clients: Host[] = [hosts[8]!, hosts[9]!]
    const files: Array<{ link: string, digest: string }> = []
    const sameSide: PartitionReport['sameSide'] = []
    for (const s of [0, 1]) {
      const file = join(dir, `side${s}.bin`)
      await writeRandomFile(file, fileMiB * 1024 * 1024 + s)
      const shared = await veil(net, clients[s]!, ['--repo', join(dir, `c${s}`), 'share', file, ...swarm, '--bootstrap', side(s).join(','), '--json'], 300_000)
      if (shared.code !== 0) throw new Error(`share on side ${s} failed: ${shared.stderr}`)
      files.push({ link: (JSON.parse(shared.stdout) as { link: string }).link, digest: await sha256File(file) })
      const out = join(dir, `same${s}.bin`)
      const got = await veil(net, clients[s]!, ['--repo', join(dir, `same-c${s}`), 'get', files[s]!.link, '-o', out, ...swarm, '--bootstrap', side(s).join(','), '--json'], 300_000)
      sameSide.push({ side: s, ok: got.code === 0 && await sha256File(out) === files[s]!.digest, ms: got.ms })
      log(`side ${s}: shared and fetched its own file (${got.code === 0 ? 'ok' : got.stderr.trim()})`)
    }

    // Keep the sides apart a while: long enough for the DHT's checks of the other side to fail.
    const holdMs = options.holdMs ?? 60_000
    const split = Date.now() - splitAt
    if (split < holdMs) await new Promise(resolve => setTimeout(resolve, holdMs - split))
    relay.heal()
    const healed = Date.now()
    log('healed')
    let allMatch = sameSide.every(r => r.ok)
    const across = await Promise.all([0, 1].map(async s => {
      const other = 1 - s
      let tries = 0
      while (Date.now() - healed < maxWaitMs) {
        tries++
        const out = join(dir, `across${s}-${tries}.bin`)
        const got = await veil(net, clients[s]!, ['--repo', join(dir, `across-c${s}-${tries}`), 'get', files[other]!.link, '-o', out, ...swarm, '--bootstrap', side(s).join(','), '--json'], 120_000)
        if (got.code === 0) {
          if (await sha256File(out) !== files[other]!.digest) allMatch = false
          return { side: s, ok: true, tries, msSinceHeal: Date.now() - healed }
        }
      }
      return { side: s, ok: false, tries, msSinceHeal: Date.now() - healed }
    }))
    for (const r of across) log(`side ${r.side} fetched the other side's file ${r.ok ? `after ${r.msSinceHeal} ms (${r.tries} tries)` : 'never'}`)
    return { scenario: 'partition', nodes: 8, fileMiB, sameSide, splitMs: healed - splitAt, acrossAfterHeal: across, sha256Match: allMatch }
  } finally {
    await Promise.all(daemons.map(async d => { await d.kill().catch(() => {}) }))
    await net.destroy()
    await rm(dir, { recursive: true, force: true })
  }
}
