/**
 * Scenario `nat`: a relay and a storage node on the public bridge; a sharer,
 * a storage node and a fetcher each behind a NAT router of its own (nftables
 * masquerade: they can dial out, nothing dials in). All in one private swarm,
 * whose relay never limits circuits.
 *
 * 1. The NATed storage node reserves a slot on the relay and announces a
 *    `/p2p-circuit` address.
 * 2. The NATed sharer shares a file with 2 copies: the public storage node
 *    and, through the relay, the NATed one.
 * 3. Fresh light clients on the NATed fetcher host fetch it with only the
 *    public storage node up (direct path), then with only the NATed one up
 *    (relayed path), twice each; then the fetcher's daemon fetches it
 *    through the relay, and its `veil peers` tells whether DCUtR turned the
 *    relayed connection into a direct one (with DCUtR's own log lines).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Testnet } from './netns.js'
import { startDaemon, until, veil, type VeilDaemon } from './veil-host.js'
import { sha256File, writeRandomFile } from '../file-digest.js'

export interface NatReport {
  scenario: 'nat'
  fileMiB: number
  shareMs: number
  copies: number
  natStorageHeldIt: boolean
  circuitAddress: string | undefined
  /** Each timed fetch, CLI start, join and look-up included; the MB/s use the faster. */
  directMs: number[]
  directMBps: number
  relayedMs: number[]
  relayedMBps: number
  relayedOverDirect: number
  /** After the relayed fetch: how the fetcher was connected to the NATed holder. */
  fetcherToNatStorage: Array<{ address: string, relayed: boolean }>
  dcutrUpgraded: boolean
  /** What DCUtR's own log says it did on the two NATed daemons. */
  dcutr: { connectSent: number, syncSent: number, failures: number, lastLines: string[] }
  sha256Match: boolean
}

export async function natScenario (options: { fileMiB?: number, log?: (line: string) => void } = {}): Promise<NatReport> {
  const log = options.log ?? (() => {})
  const fileMiB = options.fileMiB ?? 32
  const net = new Testnet()
  const dir = await mkdtemp(join(tmpdir(), 'veil-testnet-nat-'))
  const daemons: VeilDaemon[] = []
  try {
    const internet = net.namespace('internet')
    net.bridge(internet)
    const relayHost = net.publicHost('relay', internet, '10.240.0.10')
    const pubHost = net.publicHost('pubstore', internet, '10.240.0.11')
    const sharerHost = net.natHost('sharer', internet, '10.240.0.21', '10.241.1')
    const storeHost = net.natHost('natstore', internet, '10.240.0.22', '10.241.2')
    const fetchHost = net.natHost('fetcher', internet, '10.240.0.23', '10.241.3')
    log('relay and a storage node on the public bridge; sharer, storage node and fetcher each behind its own NAT')

    const key = join(dir, 'swarm.key')
    const created = await veil(net, relayHost, ['--repo', join(dir, 'relay'), 'swarm', 'create', '-o', key])
    if (created.code !== 0) throw new Error(`swarm create failed: ${created.stderr}`)
    const swarm = ['--swarm-key', key]
    const env = { VEIL_TEST_MODE: '1' }

    const relay = await startDaemon(net, relayHost, join(dir, 'relay'), [...swarm, '--relay-server', '--no-behind-nat'], env)
    daemons.push(relay)
    const boot = ['--bootstrap', relay.addresses.find(a => a.includes('10.240.0.10'))!]
    const pub = await startDaemon(net, pubHost, join(dir, 'pubstore'), [...swarm, ...boot, '--storage', '1GiB', '--no-relay-server', '--no-behind-nat'], env)
    daemons.push(pub)
    let natStore = await startDaemon(net, storeHost, join(dir, 'natstore'), [...swarm, ...boot, '--storage', '1GiB', '--behind-nat', '--no-relay-server'], env)
    daemons.push(natStore)
    // The reservation is made once identify has shown the relay speaks the hop protocol.
    const status = async (d: VeilDaemon): Promise<{ addresses: string[], storage?: { units: number } }> => {
      const r = await veil(net, d.host, ['--repo', d.repo, 'status', '--json'], 20_000)
      return r.code === 0 ? JSON.parse(r.stdout) as { addresses: string[], storage?: { units: number } } : { addresses: [] }
    }
    let circuit: string | undefined
    await until('the NATed storage node to announce a relay address', async () => {
      circuit = (await status(natStore)).addresses.find(a => a.includes('/p2p-circuit'))
      return circuit !== undefined
    }, 60_000)
    log(`NATed storage node reachable through the relay: ${circuit ?? ''}`)

    const file = join(dir, 'file.bin')
    await writeRandomFile(file, fileMiB * 1024 * 1024)
    const digest = await sha256File(file)
    const shared = await veil(net, sharerHost, ['--repo', join(dir, 'sharer'), 'share', file, ...swarm, ...boot, '--replicas', '2', '--json'], 300_000, env)
    if (shared.code !== 0) throw new Error(`share failed: ${shared.stderr}`)
    const { link, replicas } = JSON.parse(shared.stdout) as { link: string, replicas: number }
    const natHeld = ((await status(natStore)).storage?.units ?? 0) > 0
    log(`shared ${fileMiB} MiB from behind NAT in ${shared.ms} ms: ${replicas} copies, NATed storage node holds it: ${natHeld}${shared.stderr.trim() === '' ? '' : ` (${shared.stderr.trim()})`}`)
    // Both storage nodes hold it before either is stopped (repair makes the second copy if placement could not).
    await until('both storage nodes to hold the share', async () => ((await status(pub)).storage?.units ?? 0) > 0 && ((await status(natStore)).storage?.units ?? 0) > 0, 60_000)

    // DCUtR's own log lines tell whether it tried (and how far it got).
    const traced = { ...env, DEBUG: 'libp2p:dcutr*' }
    const fetcher = await startDaemon(net, fetchHost, join(dir, 'fetcher'), [...swarm, ...boot, '--behind-nat', '--no-relay-server'], traced)
    daemons.push(fetcher)

    // Each path is timed twice, each time by a fresh light client (a fresh repo: nothing cached),
    // and the faster counts: the first may also pay for trying the holder that is down.
    const timed = async (name: string): Promise<{ ms: number, runs: number[] }> => {
      const runs: number[] = []
      for (let i = 0; i < 2; i++) {
        const r = await veil(net, fetchHost, ['--repo', join(dir, `${name}-${i}`), 'get', link, '-o', join(dir, `${name}.bin`), '--force', ...swarm, ...boot, '--json'], 600_000)
        if (r.code !== 0) throw new Error(`${name} fetch failed: ${r.stderr}`)
        runs.push(r.ms)
      }
      return { ms: Math.min(...runs), runs }
    }
    // Direct: only the public storage node holds a copy that is up.
    await natStore.stop()
    const direct = await timed('direct')
    log(`fetched directly from the public storage node in ${direct.runs.join(' and ')} ms`)

    // Relayed: the NATed storage node back (same repo: it announces what it holds), the public one gone.
    natStore = await startDaemon(net, storeHost, join(dir, 'natstore'), [...swarm, ...boot, '--storage', '1GiB', '--behind-nat', '--no-relay-server'], traced)
    daemons.push(natStore)
    await until('the NATed storage node to reserve again', async () => (await status(natStore)).addresses.some(a => a.includes('/p2p-circuit')), 60_000)
    await pub.stop()
    const relayed = await timed('relayed')
    log(`fetched through the relay from the NATed storage node in ${relayed.runs.join(' and ')} ms`)
    // The fetcher daemon (behind its NAT, with DCUtR) fetches through the relay too; then its peers tell whether DCUtR upgraded.
    const viaDaemon = await veil(net, fetchHost, ['--repo', join(dir, 'fetcher'), 'get', link, '-o', join(dir, 'daemon.bin'), '--json'], 600_000)
    if (viaDaemon.code !== 0) throw new Error(`the fetcher daemon's fetch failed: ${viaDaemon.stderr}`)

    // DCUtR runs in the background after a relayed connection opens; give it its attempts (3 × ≤5 s).
    const natId = natStore.addresses[0]!.split('/p2p/').at(-1)!
    let links: Array<{ address: string, relayed: boolean }> = []
    await until('DCUtR to finish its attempts', async () => {
      const peers = await veil(net, fetchHost, ['--repo', join(dir, 'fetcher'), 'peers', '--json'], 20_000)
      if (peers.code !== 0) return false
      links = ((JSON.parse(peers.stdout) as { peers: Array<{ id: string, connections: Array<{ address: string, relayed: boolean }> }> }).peers.find(p => p.id === natId)?.connections ?? []).map(c => ({ address: c.address, relayed: c.relayed }))
      return links.some(c => !c.relayed)
    }, 20_000, 1_000).catch(() => 0)

    const dcutrLog = (natStore.stderr() + fetcher.stderr()).split('\n').filter(line => line.includes('dcutr'))
    const dcutr = {
      connectSent: dcutrLog.filter(line => /sending connect/i.test(line)).length,
      syncSent: dcutrLog.filter(line => /sending sync|received sync|receiving sync/i.test(line)).length,
      failures: dcutrLog.filter(line => /error|failed/i.test(line)).length,
      lastLines: dcutrLog.slice(-4).map(line => line.replace(/^\S+ /, '').slice(0, 200))
    }
    const sha256Match = (await sha256File(join(dir, 'direct.bin'))) === digest && (await sha256File(join(dir, 'relayed.bin'))) === digest && (await sha256File(join(dir, 'daemon.bin'))) === digest
    const bytes = fileMiB * 1024 * 1024
    const mbps = (ms: number): number => Math.round(bytes / 1e6 / (ms / 1000) * 10) / 10
    return {
      scenario: 'nat',
      fileMiB,
      shareMs: shared.ms,
      copies: replicas,
      natStorageHeldIt: natHeld,
      circuitAddress: circuit,
      directMs: direct.runs,
      directMBps: mbps(direct.ms),
      relayedMs: relayed.runs,
      relayedMBps: mbps(relayed.ms),
      relayedOverDirect: Math.round(direct.ms / relayed.ms * 100) / 100,
      fetcherToNatStorage: links,
      dcutrUpgraded: links.some(c => !c.relayed),
      dcutr,
      sha256Match
    }
  } finally {
    await Promise.all(daemons.map(async d => { await d.kill().catch(() => {}) }))
    await net.destroy()
    await rm(dir, { recursive: true, force: true })
  }
}
