/**
 * Delay, loss and partitions between testnet hosts, in user space: this
 * kernel has no sch_netem, so `tc netem` is not available. tun-relay.c (a
 * small C program, built with the machine's compiler by
 * build-tun-relay.sh — Node cannot issue the TUNSETIFF ioctl without a
 * native addon) opens one TUN device per host inside a "core" namespace; each
 * device is then moved into its host's namespace and given the host's
 * address on 10.243.0.0/24, so every packet between hosts passes through the
 * relay, which holds it for the one-way delay, drops a fraction, or drops it
 * across a partition.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import type { ChildProcess } from 'node:child_process'
import type { Host, Testnet } from './netns.js'

const BINARY = fileURLToPath(new URL('./tun-relay', import.meta.url))
const SOURCE = fileURLToPath(new URL('../../../scripts/testnet/tun-relay.c', import.meta.url))
const BUILD = fileURLToPath(new URL('../../../scripts/testnet/build-tun-relay.sh', import.meta.url))

/** Build the relay when it is missing or older than its source. */
export function ensureRelayBuilt (): string {
  const stale = !existsSync(BINARY) || (existsSync(SOURCE) && statSync(SOURCE).mtimeMs > statSync(BINARY).mtimeMs)
  if (stale) execFileSync('bash', [BUILD], { stdio: 'inherit' })
  return BINARY
}

export class DelayRelay {
  readonly hosts: Host[] = []
  private lines: string[] = []
  private waiting: ((line: string) => void) | undefined

  private constructor (private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', line => {
      const waiter = this.waiting
      if (waiter !== undefined) {
        this.waiting = undefined
        waiter(line)
      } else this.lines.push(line)
    })
  }

  /** One host per name, each a namespace reaching the others only through the relay. */
  static async start (net: Testnet, names: string[], seed = 1): Promise<DelayRelay> {
    const binary = ensureRelayBuilt()
    const core = net.namespace('core')
    const devs = names.map((_, i) => `vt${i}`)
    const ips = names.map((_, i) => `10.243.0.${10 + i}`)
    const child = net.spawn(core, [binary, String(seed), ...devs.map((dev, i) => `${dev}=${ips[i]!}`)])
    child.stdin?.on('error', () => {})
    const relay = new DelayRelay(child)
    const ready = await relay.next(10_000)
    if (ready !== 'ready') throw new Error(`tun-relay did not start: ${ready}`)
    for (const [i, name] of names.entries()) {
      const ns = net.namespace(name)
      net.exec(core, ['ip', 'link', 'set', 'dev', devs[i]!, 'netns', ns])
      net.exec(ns, ['ip', 'addr', 'add', `${ips[i]!}/24`, 'dev', devs[i]!])
      net.exec(ns, ['ip', 'link', 'set', devs[i]!, 'up'])
      relay.hosts.push({ name, ns, ip: ips[i]! })
    }
    return relay
  }

  /** One-way delay between any two hosts, ± jitter (uniform), and the fraction of packets lost. */
  set (delayMs: number, jitterMs = 0, loss = 0): void {
    this.send(`delay ${delayMs} ${jitterMs}`)
    this.send(`loss ${loss}`)
  }

  /** A group number per host (in start order): packets between groups are dropped. */
  partition (groups: number[]): void {
    this.send(`partition ${groups.join(' ')}`)
  }

  heal (): void {
    this.send('heal')
  }

  async stats (): Promise<{ relayed: number, lost: number, partitioned: number, overflow: number }> {
    this.send('stats')
    const [, relayed, lost, partitioned, overflow] = (await this.next(5_000)).split(' ').map(Number)
    return { relayed: relayed ?? 0, lost: lost ?? 0, partitioned: partitioned ?? 0, overflow: overflow ?? 0 }
  }

  private send (line: string): void {
    this.child.stdin!.write(`${line}\n`)
  }

  private async next (timeoutMs: number): Promise<string> {
    const queued = this.lines.shift()
    if (queued !== undefined) return queued
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting = undefined; reject(new Error('tun-relay did not answer')) }, timeoutMs)
      this.waiting = (line) => { clearTimeout(timer); resolve(line) }
    })
  }
}
