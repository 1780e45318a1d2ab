/**
 * `npm run testnet -- <scenario> [--flags]`: build a testnet of network
 * namespaces on this machine, run one scenario, print its figures as one
 * JSON line. Root only: otherwise it prints why it skipped and exits 0.
 *   nat                        relay vs direct throughput through NAT routers; DCUtR outcome
 *   churn [--minutes 5] [--seed 1]   10 storage nodes, 20 shares, a node killed or restarted every 10 s
 *   wan [--mib 64]             6 storage nodes, 40±10 ms and 1 % loss between hosts vs none
 *   partition [--hold 60]      8 nodes split 4/4, fetch each side, heal, time until found again
 *   dht-wait [--samples 40]    (loopback, any user) join and first-holder look-up times with 20 nodes
 */
import '../../src/platform/index.js'
import { Testnet, cannotRun, sweep } from './netns.js'
import { parseFlags } from '../bench/lib.js'

const [scenario = 'help', ...rest] = process.argv.slice(2)
const flags = parseFlags(rest)
const log = (line: string): void => { process.stderr.write(`testnet: ${line}\n`) }

const scenarios: Record<string, () => Promise<unknown>> = {
  nat: async () => await (await import('./nat.js')).natScenario({ fileMiB: Number(flags.get('mib') ?? 32), log }),
  churn: async () => await (await import('./churn.js')).churnScenario({ minutes: Number(flags.get('minutes') ?? 5), seed: Number(flags.get('seed') ?? 1), log }),
  wan: async () => await (await import('./wan.js')).wanScenario({ fileMiB: Number(flags.get('mib') ?? 64), log }),
  partition: async () => await (await import('./partition.js')).partitionScenario({ fileMiB: Number(flags.get('mib') ?? 4), holdMs: Number(flags.get('hold') ?? 60) * 1000, log })
}

// Not a namespace scenario: it runs on loopback, as any user.
if (scenario === 'dht-wait') {
  const report = await (await import('./dht-wait.js')).dhtWait({ samples: Number(flags.get('samples') ?? 40), concurrency: Number(flags.get('concurrency') ?? 4), log })
  process.stdout.write(JSON.stringify(report) + '\n')
  process.exit(0)
}
if (scenarios[scenario] === undefined) {
  process.stderr.write(`usage: npm run testnet -- <${Object.keys(scenarios).join('|')}> [--flags]\n`)
  process.exit(2)
}
const why = cannotRun()
if (why !== undefined) {
  process.stdout.write(JSON.stringify({ scenario, skipped: why }) + '\n')
  process.stderr.write(`testnet: skipped ${scenario}: ${why}\n`)
  process.exit(0)
}
sweep()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`testnet: ${signal}: cleaning up\n`)
    void Promise.all([...Testnet.live].map(async net => { await net.destroy() })).finally(() => { process.exit(signal === 'SIGINT' ? 130 : 143) })
  })
}
try {
  const report = await scenarios[scenario]!()
  process.stdout.write(JSON.stringify(report) + '\n')
  process.exit(0)
} catch (err) {
  process.stderr.write(`testnet: ${scenario} failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
}
