/**
 * A Veil node in its own process, for tests and benchmarks that need to kill
 * one (SIGKILL) or measure it apart:
 *   node dist/scripts/testnet/node.js --repo DIR [--storage BYTES] [--bootstrap ADDR]
 *        [--lease MS] [--orphan-grace MS] [--repair-every MS] [--collect-every MS] [--per-peer BYTES]
 * Prints `{"ready":true,"addr":…,"peerId":…}` once started; stops on SIGTERM.
 */
import '../../src/platform/index.js'
import { VeilNode } from '../../src/node/index.js'
import { parseFlags } from '../bench/lib.js'

const flags = parseFlags(process.argv.slice(2))
const bootstrap = flags.get('bootstrap')
const storage = flags.get('storage')
const ms = (name: string, otherwise: number): number => flags.has(name) ? Number(flags.get(name)) : otherwise
const node = await VeilNode.create({
  repo: flags.get('repo'),
  bootstrap: bootstrap === undefined ? [] : [bootstrap],
  storage: storage === undefined
    ? undefined
    : {
        capacity: Number(storage),
        perPeer: flags.has('per-peer') ? Number(flags.get('per-peer')) : undefined,
        leaseMs: ms('lease', 30 * 24 * 3_600_000),
        orphanGraceMs: ms('orphan-grace', 3_600_000),
        repairIntervalMs: ms('repair-every', 3_600_000),
        gcIntervalMs: ms('collect-every', 3_600_000),
        lookupTimeoutMs: 3_000
      }
})
await node.start()
process.stdout.write(JSON.stringify({ ready: true, addr: node.addresses()[0]!.toString(), peerId: node.peerId.toString() }) + '\n')
await new Promise<void>(resolve => { process.once('SIGTERM', () => { resolve() }) })
const status = await node.status()
await node.stop()
// Last line: what this node did (the share benchmark counts DHT records from it).
process.stdout.write(JSON.stringify({ stopped: true, published: node.announcer.published, units: status.storage?.units ?? 0, bytes: status.store.bytes }) + '\n')
