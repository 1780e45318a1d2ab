/**
 * A testnet built from Linux network namespaces: each host is a namespace,
 * "the internet" is a bridge inside a namespace of its own, NAT routers are
 * namespaces that masquerade (nftables) between a LAN veth and the bridge,
 * and links can be rate-limited (tc tbf). Every namespace, veth and bridge
 * lives inside namespaces this run creates, named `veil<run>-<host>`, and
 * `destroy()` deletes them all (also after a failure: callers use try/finally,
 * and `sweep()` removes what an earlier killed run left).
 *
 * Needs root, iproute2 and nftables (`.ci/run` installs nftables when `nft`
 * is missing). Delay and loss need a user-space relay (tun-relay.ts): this
 * kernel has no sch_netem.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'

export interface Host {
  name: string
  ns: string
  /** This host's address on the link it reaches the world through. */
  ip: string
}

/** Is this process able to build a testnet (root, ip, nft)? undefined if so, else why not. */
export function cannotRun (): string | undefined {
  if (process.getuid?.() !== 0) return 'the testnet needs root (network namespaces)'
  for (const tool of ['ip', 'nft', 'tc']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
    } catch {
      return `the testnet needs \`${tool}\` (apt-get install ${tool === 'nft' ? 'nftables' : 'iproute2'})`
    }
  }
  try {
    execFileSync('ip', ['netns', 'add', `veilprobe${process.pid}`], { stdio: 'ignore' })
    execFileSync('ip', ['netns', 'del', `veilprobe${process.pid}`], { stdio: 'ignore' })
  } catch {
    return 'this machine does not allow network namespaces here'
  }
  return undefined
}

function sh (args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Remove every namespace an earlier run of the testnet left behind (killed before its clean-up). */
export function sweep (): void {
  for (const line of sh(['ip', 'netns', 'list']).split('\n')) {
    const name = line.split(' ')[0] ?? ''
    if (/^veil\d+-/.test(name)) {
      try { sh(['ip', 'netns', 'del', name]) } catch {}
    }
  }
}

export class Testnet {
  /** Every testnet not yet destroyed, for a signal handler to clean up. */
  static readonly live = new Set<Testnet>()
  readonly prefix: string
  private readonly namespaces: string[] = []
  private readonly processes = new Set<ChildProcess>()
  private links = 0

  constructor (run = process.pid % 100000) {
    this.prefix = `veil${run}`
    Testnet.live.add(this)
  }

  /** A namespace with loopback up. */
  namespace (name: string): string {
    const ns = `${this.prefix}-${name}`
    sh(['ip', 'netns', 'add', ns])
    this.namespaces.push(ns)
    this.exec(ns, ['ip', 'link', 'set', 'lo', 'up'])
    return ns
  }

  exec (ns: string, args: string[]): string {
    return sh(['ip', 'netns', 'exec', ns, ...args])
  }

  /** A bridge (a switch) inside `ns`. */
  bridge (ns: string, name = 'br0'): void {
    this.exec(ns, ['ip', 'link', 'add', name, 'type', 'bridge'])
    this.exec(ns, ['ip', 'link', 'set', name, 'up'])
  }

  /** A veth between two namespaces; each end gets an address (`a.b.c.d/len`) unless undefined. Returns the ends' names. */
  veth (nsA: string, addrA: string | undefined, nsB: string, addrB: string | undefined, options: { bridgeB?: string } = {}): [string, string] {
    const id = this.links++
    const a = `va${id}`
    const b = `vb${id}`
    sh(['ip', 'link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB])
    if (addrA !== undefined) this.exec(nsA, ['ip', 'addr', 'add', addrA, 'dev', a])
    if (addrB !== undefined) this.exec(nsB, ['ip', 'addr', 'add', addrB, 'dev', b])
    if (options.bridgeB !== undefined) this.exec(nsB, ['ip', 'link', 'set', b, 'master', options.bridgeB])
    this.exec(nsA, ['ip', 'link', 'set', a, 'up'])
    this.exec(nsB, ['ip', 'link', 'set', b, 'up'])
    return [a, b]
  }

  /** A host on the bridge in `switchNs`, at `ip` (a /24 on that bridge). */
  publicHost (name: string, switchNs: string, ip: string, bridge = 'br0'): Host {
    const ns = this.namespace(name)
    this.veth(ns, `${ip}/24`, switchNs, undefined, { bridgeB: bridge })
    return { name, ns, ip }
  }

  /**
   * A host behind its own NAT router: the router's WAN side is `wanIp` on the
   * bridge, its LAN a /30 `lan.1` ↔ `lan.2` to the host; the router
   * masquerades everything leaving its WAN side (nftables), so the host can
   * dial out but nothing can dial in.
   */
  natHost (name: string, switchNs: string, wanIp: string, lanPrefix: string, bridge = 'br0'): Host & { router: string } {
    const router = this.namespace(`${name}-nat`)
    const [wan] = this.veth(router, `${wanIp}/24`, switchNs, undefined, { bridgeB: bridge })
    const ns = this.namespace(name)
    this.veth(router, `${lanPrefix}.1/30`, ns, `${lanPrefix}.2/30`)
    this.exec(ns, ['ip', 'route', 'add', 'default', 'via', `${lanPrefix}.1`])
    this.exec(router, ['sysctl', '-qw', 'net.ipv4.ip_forward=1'])
    const rules = `table ip nat {\n chain post {\n  type nat hook postrouting priority 100;\n  oifname "${wan}" masquerade\n }\n}\n`
    execFileSync('ip', ['netns', 'exec', router, 'nft', '-f', '-'], { input: rules })
    return { name, ns, ip: `${lanPrefix}.2`, router }
  }

  /** Limit what leaves `dev` in `ns` to `rate` (tc tbf), e.g. "200mbit". For throughput-limited holders. */
  rateLimit (ns: string, dev: string, rate: string, burst = '256kb', latency = '50ms'): void {
    this.exec(ns, ['tc', 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', rate, 'burst', burst, 'latency', latency])
  }

  /**
   * `count` hosts on the bridge in `switchNs`, each behind its own link
   * limited to `rate` both ways (tc tbf on the host's end and on the bridge's
   * end of its veth), at `<prefix>.<first + i>`: N holders each able to serve
   * at most `rate`, for throughput measurements.
   */
  limitedHosts (name: string, switchNs: string, count: number, rate: string, prefix: string, first = 100, bridge = 'br0'): Host[] {
    const hosts: Host[] = []
    for (let i = 0; i < count; i++) {
      const ns = this.namespace(`${name}${i}`)
      const ip = `${prefix}.${first + i}`
      const [hostEnd, bridgeEnd] = this.veth(ns, `${ip}/24`, switchNs, undefined, { bridgeB: bridge })
      this.rateLimit(ns, hostEnd, rate)
      this.rateLimit(switchNs, bridgeEnd, rate)
      hosts.push({ name: `${name}${i}`, ns, ip })
    }
    return hosts
  }

  /** Start `command` inside `ns`; it is killed by destroy(). */
  spawn (ns: string, command: string[], env: Record<string, string> = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...command], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    this.processes.add(child)
    child.once('exit', () => { this.processes.delete(child) })
    return child
  }

  /** Kill every process started here, then delete every namespace (and with them every veth and bridge). */
  async destroy (): Promise<void> {
    const exits = [...this.processes].map(async child => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGKILL')
      await new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
    })
    await Promise.all(exits)
    // Anything left in a namespace (a grandchild) goes with it.
    for (const ns of this.namespaces.reverse()) {
      try { sh(['ip', 'netns', 'pids', ns]).split('\n').filter(Boolean).forEach(pid => { try { process.kill(Number(pid), 'SIGKILL') } catch {} }) } catch {}
      try { sh(['ip', 'netns', 'del', ns]) } catch {}
    }
    this.namespaces.length = 0
    Testnet.live.delete(this)
  }
}
