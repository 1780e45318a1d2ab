/**
 * The sharer of the share benchmark, in its own process (so its peak RSS is
 * its own):
 *   --file F --repo D --replicas R [--bootstrap ADDR] [--push-to PEER --push-bytes N]
 * With R = 0 it shares into its own node and keeps the blocks (what a node
 * that serves its own shares does); with R ≥ 1 it is a light client that
 * places R copies on the storage nodes reachable through ADDR and drops its
 * own. With --push-to it first pushes N bytes as raw 1 MiB blocks to that
 * storage node (the reference: the network and the remote store, no sealing).
 * Prints one JSON line: { shareMs, pushMs?, replicas, units, peakRss, memory }
 * (memory: peaks of process.memoryUsage() sampled during the share).
 */
import '../../src/platform/index.js'
import { randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { VeilNode } from '../../src/node/index.js'
import { rawCid } from '../../src/format/index.js'
import { MiB, parseFlags, peakRss, sampleMemory } from './lib.js'

const flags = parseFlags(process.argv.slice(2))
const replicas = Number(flags.get('replicas') ?? 3)
const bootstrap = flags.get('bootstrap')
const node = await VeilNode.create({ repo: flags.get('repo'), bootstrap: bootstrap === undefined ? [] : [bootstrap], dhtServer: false, listen: [] })
await node.start()
try {
  let pushMs: number | undefined
  if (flags.has('push-to')) {
    const target = peerIdFromString(flags.get('push-to')!)
    const size = Number(flags.get('push-bytes'))
    const seed = new Uint8Array(randomBytes(MiB))
    const started = performance.now()
    for (let sent = 0; sent < size;) {
      const batch = []
      for (let i = 0; i < 8 && sent < size; i++, sent += MiB) {
        const bytes = seed.slice()
        new DataView(bytes.buffer).setFloat64(0, Math.random())
        batch.push({ cid: rawCid(bytes), bytes })
      }
      // Raw blocks with no unit node: the PUT names its first block as the unit.
      const reply = await node.exchange.push(target, { unit: batch[0]!.cid, blocks: batch })
      if (!reply.admitted || reply.outcomes.some(o => !o.ok)) throw new Error('the reference push was refused')
    }
    pushMs = performance.now() - started
  }
  const started = performance.now()
  const stopSampling = sampleMemory()
  const shared = await node.share(flags.get('file')!, { replicas, keepLocal: replicas === 0 })
  const shareMs = performance.now() - started
  const memory = stopSampling()
  process.stdout.write(JSON.stringify({ shareMs, pushMs, replicas: shared.replicas, units: shared.units, size: shared.meta.size, peakRss: peakRss(), memory }) + '\n')
} finally {
  await node.stop()
}
