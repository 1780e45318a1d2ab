/**
 * `veil node start`: run a node in the foreground until SIGINT/SIGTERM. It
 * prints `listening <multiaddr>/p2p/<peer id>` per address, serves the
 * control API on a loopback port with a fresh token, and records both in
 * <repo>/api.json (removed again on a clean shutdown).
 */
import { randomBytes } from 'node:crypto'
import type { Command } from 'commander'
import { SwarmRequiredError } from '../../errors.js'
import { isLoopbackAddress } from '../config-checks.js'
import { DEFAULT_RENEW_EVERY_MS } from '../config.js'
import { ConfigError, NodeRunningError, PortInUseError, UsageError, explainJoinFailure } from '../errors.js'
import { collectList, examples, sizeArg, withNetworkOptions } from '../options.js'
import { convergenceSecret, findDaemon, loadSwarm, removeApiInfo, writeApiInfo } from '../repo.js'
import { openNode, settingsFor, type Context, type Runtime } from '../session.js'
import { printable } from '../output.js'
import { formatSize } from '../units.js'
import { showStatus } from './status.js'

interface StartFlags {
  listen?: string[]
  bootstrap?: string[]
  storage?: number
  perPeer?: string
  acceptFrom?: string
  swarmKey?: string
  api?: string
  /** host:port of the HTTP gateway (not share's --gateway, which is a URL). */
  gateway?: string
  announce?: string[]
  metrics?: string
  upnp?: boolean
  relayServer?: boolean
  behindNat?: boolean
  joinTimeout?: string
}

export function registerNode (program: Command, runtime: Runtime): void {
  const node = program
    .command('node')
    .description('run a node (`veil node start`) or show it (`veil node status`)')
    .addHelpText('after', examples('veil node start --storage 50GiB'))

  withNetworkOptions(node
    .command('start')
    .description('run a node in the foreground until Ctrl-C (SIGINT) or SIGTERM')
    .option('--listen <multiaddr>', 'an address to listen on; repeat the flag or separate with commas for several (default: config, /ip4/0.0.0.0/tcp/4001; /ip4/127.0.0.1/tcp/0 for a free port on this machine only)', collectList)
    .option('--storage <size>', 'make this a storage node giving <size> to the swarm, e.g. 50GiB', sizeArg)
    .option('--per-peer <size|percent>', 'what one pusher may use of it, e.g. 5GiB or 10% (default: config, 10%; 50% in a private swarm)')
    .option('--accept-from <who>', 'who may push to it: any, swarm (members of its private swarm) or peer ids separated by commas (default: config, any)'))
    .option('--api <host:port>', 'control API address, loopback only (default: VEIL_API, then config, then 127.0.0.1:0)')
    .option('--gateway <host:port>', 'serve the HTTP gateway (the page that opens links in a browser) on host:port, or a bare port on 127.0.0.1; another address serves beyond this machine: put TLS in front (default: config "gateway", off)')
    .option('--announce <multiaddr>', 'an address to tell peers instead of the listen addresses, such as your router\'s port forward: /ip4/203.0.113.7/tcp/4001; repeat or separate with commas (default: config "announce")', collectList)
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://<host:port>/metrics, e.g. 127.0.0.1:9464 (default: VEIL_METRICS, then config "metrics", off)')
    .option('--no-upnp', 'do not ask the router for a port forward (UPnP; on by default when listening beyond loopback)')
    .option('--relay-server', 'relay connections for peers behind NAT (default: storage nodes listening beyond loopback)')
    .option('--no-relay-server', 'never relay for others')
    .option('--behind-nat', 'reserve a slot on a relay and announce /p2p-circuit addresses (default: when no listen address is public and none is announced)')
    .option('--no-behind-nat', 'never reserve a relay slot (this node is reachable)')
    .addHelpText('after', examples(
      'veil node start --storage 50GiB',
      'veil node start --listen /ip4/0.0.0.0/tcp/4001 --bootstrap /ip4/203.0.113.7/tcp/4001/p2p/12D3KooW…',
      'veil node start --gateway 127.0.0.1:8080'
    ))
    .action(async (flags: StartFlags, cmd: Command) => { await startNode(runtime.context(cmd), flags) })

  node
    .command('status')
    .description('the same as `veil status`')
    .addHelpText('after', examples('veil node status --json'))
    .action(async (_opts: object, cmd: Command) => { await showStatus(runtime.context(cmd)) })
}

async function startNode (ctx: Context, flags: StartFlags): Promise<void> {
  const settings = await settingsFor(ctx, { ...flags, perPeerStorage: flags.perPeer, acceptFrom: flags.acceptFrom, gateway: undefined, gatewayListen: flags.gateway })
  const [{ natPolicy }, metricsModule] = await Promise.all([import('../nat-policy.js'), settings.metrics === undefined ? undefined : import('../../metrics/index.js')])
  const metrics = metricsModule === undefined ? undefined : new metricsModule.VeilMetrics()
  const { repo } = settings
  const running = await findDaemon(repo)
  if (running !== undefined) throw new NodeRunningError(repo, running.info.pid)
  const { ControlServer, isLoopbackHost } = await import('../../daemon/index.js')
  if (!isLoopbackHost(settings.api.host)) {
    const message = `the control API must listen on this machine only (127.0.0.1, ::1 or localhost), not ${settings.api.host}: anyone who reaches it with the token controls the node`
    throw flags.api !== undefined ? new UsageError(message) : new ConfigError(message)
  }
  const swarm = await loadSwarm(settings)
  if (settings.requireSwarm && swarm === undefined) throw new SwarmRequiredError()

  const node = await openNode(repo, async (VeilNode) => await VeilNode.create({
    repo,
    listen: settings.listen,
    bootstrap: settings.bootstrap,
    dhtServer: true,
    storage: settings.storage === undefined
      ? undefined
      : {
          capacity: settings.storage,
          repairIntervalMs: settings.maintenance.repairEvery,
          scrubIntervalMs: settings.maintenance.scrubEvery,
          gcIntervalMs: settings.maintenance.collectEvery,
          leaseMs: settings.maintenance.lease,
          orphanGraceMs: settings.maintenance.orphanGrace,
          perPeer: settings.perPeerStorage,
          acceptFrom: settings.acceptFrom,
          replicas: settings.replicas
        },
    // While it runs, the node renews the leases of the shares this repo made.
    keepShares: { replicas: settings.replicas, renewEveryMs: settings.maintenance.renewEvery ?? DEFAULT_RENEW_EVERY_MS },
    swarm: swarm === undefined ? undefined : { key: swarm.key },
    requireSwarm: settings.requireSwarm,
    gateway: settings.gatewayListen,
    // A daemon never exits because its bootstrap peers are away: it keeps joining in the background.
    keepJoining: true,
    bootstrapTimeoutMs: settings.joinTimeout,
    nat: natPolicy(settings, flags),
    announceAddresses: settings.announce,
    libp2pMetrics: metrics?.libp2p(),
    // Mutable links' records: this repo's own, and (storage nodes) those kept for others.
    names: settings.maintenance.republishEvery === undefined ? undefined : { republishEveryMs: settings.maintenance.republishEvery }
  }))
  let server: InstanceType<typeof ControlServer> | undefined
  let metricsServer: { start: () => Promise<string>, stop: () => Promise<void> } | undefined
  try {
    await node.start({ signal: ctx.signal }).catch((err: unknown) => { throw explainJoinFailure(err, swarm) })
    const joining = node.bootstrapKeeper?.status()
    if (joining !== undefined && !joining.joined) ctx.out.warn(`could not join the swarm yet (${joining.lastError ?? 'no answer'}); the node keeps running and tries again in the background`)
    let metricsUrl: string | undefined
    if (metrics !== undefined && metricsModule !== undefined && settings.metrics !== undefined) {
      metrics.attach(node)
      metricsServer = new metricsModule.MetricsServer(metrics, settings.metrics.host, settings.metrics.port)
      metricsUrl = await metricsServer.start().catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') throw new PortInUseError(`the metrics port ${settings.metrics!.port} is in use: pass --metrics ${settings.metrics!.host}:<other port> (or port 0 for any free port)`, { cause: err })
        throw err
      })
    }
    const token = randomBytes(32).toString('hex')
    server = new ControlServer({
      node,
      host: settings.api.host,
      port: settings.api.port,
      token,
      replicas: settings.replicas,
      convergenceSecret: async () => await convergenceSecret(repo, swarm?.key),
      onError: (err) => { ctx.out.warn(`control API: ${(err as Error).message ?? String(err)}`) }
    })
    const url = await server.start().catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') throw new PortInUseError(`the control API port ${settings.api.port} is in use: pass --api ${settings.api.host}:<other port> (or port 0 for any free port)`, { cause: err })
      throw err
    })
    const addresses = node.addresses().map(String)
    await writeApiInfo(repo, { url, token, pid: process.pid, addresses })

    const gatewayUrl = node.gateway?.url
    if (gatewayUrl !== undefined && !isLoopbackAddress(settings.gatewayListen!.host)) {
      ctx.out.warn(`the gateway serves beyond this machine on ${gatewayUrl}: put TLS in front of it (browsers decrypt only on https:// pages, or on localhost)`)
    }
    ctx.out.result({
      peerId: node.peerId.toString(),
      addresses,
      api: url,
      gateway: gatewayUrl ?? null,
      repo,
      swarmId: swarm?.id ?? null,
      storage: settings.storage ?? null,
      metrics: metricsUrl ?? null
    }, () => {
      for (const address of addresses) ctx.out.line(`listening ${address}`)
      if (gatewayUrl !== undefined) ctx.out.line(`gateway ${gatewayUrl}`)
      if (metricsUrl !== undefined) ctx.out.note(`veil: metrics on ${metricsUrl}`)
      const role = settings.storage === undefined ? 'node' : `storage node (${formatSize(settings.storage)})`
      const where = swarm === undefined ? '' : ` in private swarm ${swarm.id}`
      ctx.out.note(`veil: ${role} ${node.peerId.toString()} running${where}; control API on ${url}; press Ctrl-C to stop`)
    })
    if (!ctx.signal.aborted) await new Promise<void>(resolve => { ctx.signal.addEventListener('abort', () => { resolve() }, { once: true }) })
    ctx.out.note('veil: stopping…')
  } finally {
    await metricsServer?.stop().catch(() => {})
    await server?.stop().catch(() => {})
    await node.stop()
    await removeApiInfo(repo).catch(() => {})
  }
  ctx.out.note(`veil: stopped (${printable(repo)})`)
}
