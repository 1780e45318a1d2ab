/**
 * Scenario `wan`: 6 storage nodes and 2 clients, every host reaching every
 * other through the user-space relay (tun-relay.ts). A client shares a file
 * (R = 3); a fresh client fetches it with no delay, then again (into a fresh
 * repo) with 40 ms ± 10 ms one way and 1 % loss between every two hosts.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Testnet } from './netns.js'
import { DelayRelay } from './tun-relay.js'
import { startDaemon, veil, type VeilDaemon } from './veil-host.js'
import { sha256File, writeRandomFile } from '../file-digest.js'

export interface WanReport {
  scenario: 'wan'
  fileMiB: number
  delayMs: number
  jitterMs: number
  loss: number
  shareMs: number
  copies: number
  fetchMs: { noDelay: number, wan: number }
  fetchMBps: { noDelay: number, wan: number }
  slowdown: number
  relay: { relayed: number, lost: number, overflow: number }
  sha256Match: boolean
}

export async function wanScenario (options: { fileMiB?: number, delayMs?: number, jitterMs?: number, loss?: number, log?: (line: string) => void } = {}): Promise<WanReport> {
  const log = options.log ?? (() => {})
  const fileMiB = options.fileMiB ?? 64
  const delayMs = options.delayMs ?? 40
  const jitterMs = options.jitterMs ?? 10
  const loss = options.loss ?? 0.01
  const net = new Testnet()
  const dir = await mkdtemp(join(tmpdir(), 'veil-testnet-wan-'))
  const daemons: VeilDaemon[] = []
  try {
    const names = ['s0', 's1', 's2', 's3', 's4', 's5', 'sharer', 'fetcher']
    const relay = await DelayRelay.start(net, names, 12)
    const hosts = relay.hosts
    const key = join(dir, 'swarm.key')
    await veil(net, hosts[6]!, ['--repo', join(dir, 'sharer'), 'swarm', 'create', '-o', key])
    const swarm = ['--swarm-key', key]
    const env = { VEIL_TEST_MODE: '1' }
    const first = await startDaemon(net, hosts[0]!, join(dir, 's0'), [...swarm, '--storage', '1GiB', '--no-relay-server', '--no-behind-nat'], env)
    daemons.push(first)
    for (let i = 1; i < 6; i++) daemons.push(await startDaemon(net, hosts[i]!, join(dir, `s${i}`), [...swarm, '--bootstrap', first.addresses[0]!, '--storage', '1GiB', '--no-relay-server', '--no-behind-nat'], env))
    const boot = ['--bootstrap', daemons.map(d => d.addresses[0]!).join(',')]
    log('6 storage nodes up behind the delay relay')

    const file = join(dir, 'file.bin')
    await writeRandomFile(file, fileMiB * 1024 * 1024)
    const digest = await sha256File(file)
    const shared = await veil(net, hosts[6]!, ['--repo', join(dir, 'sharer'), 'share', file, ...swarm, ...boot, '--json'], 600_000)
    if (shared.code !== 0) throw new Error(`share failed: ${shared.stderr}`)
    const { link, replicas } = JSON.parse(shared.stdout) as { link: string, replicas: number }
    log(`shared ${fileMiB} MiB in ${shared.ms} ms (${replicas} copies)`)

    const fetch = async (name: string): Promise<{ ms: number, ok: boolean }> => {
      const out = join(dir, `${name}.bin`)
      const r = await veil(net, hosts[7]!, ['--repo', join(dir, `fetch-${name}`), 'get', link, '-o', out, ...swarm, ...boot, '--json'], 900_000)
      if (r.code !== 0) throw new Error(`fetch (${name}) failed: ${r.stderr}`)
      return { ms: r.ms, ok: await sha256File(out) === digest }
    }
    const plain = await fetch('plain')
    log(`fetched with no delay in ${plain.ms} ms`)
    relay.set(delayMs, jitterMs, loss)
    const before = await relay.stats()
    const wan = await fetch('wan')
    const after = await relay.stats()
    log(`fetched with ${delayMs} ± ${jitterMs} ms and ${loss * 100} % loss in ${wan.ms} ms`)
    const mbps = (ms: number): number => Math.round(fileMiB * 1.048576 / (ms / 1000) * 10) / 10
    return {
      scenario: 'wan',
      fileMiB,
      delayMs,
      jitterMs,
      loss,
      shareMs: shared.ms,
      copies: replicas,
      fetchMs: { noDelay: plain.ms, wan: wan.ms },
      fetchMBps: { noDelay: mbps(plain.ms), wan: mbps(wan.ms) },
      slowdown: Math.round(wan.ms / plain.ms * 10) / 10,
      relay: { relayed: after.relayed - before.relayed, lost: after.lost - before.lost, overflow: after.overflow - before.overflow },
      sha256Match: plain.ok && wan.ok
    }
  } finally {
    await Promise.all(daemons.map(async d => { await d.kill().catch(() => {}) }))
    await net.destroy()
    await rm(dir, { recursive: true, force: true })
  }
}
