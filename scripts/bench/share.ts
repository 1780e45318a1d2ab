/**
 * npm run bench:share [-- --mib 1024 --replicas 3]
 *
 * A light client (this process) shares a generated file to R storage nodes
 * (separate processes) on loopback. In the same run it measures pushing the
 * same number of bytes, as blocks, to one storage node — the reference — and
 * prints the share's MB/s (until the link is returned), the ratio to that
 * reference, the DHT records the storage nodes published per GiB, and this
 * process's peak RSS.
 */
import '../../src/platform/shim.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { VeilNode } from '../../src/node/index.js'
import { rawCid } from '../../src/format/cid.js'
import { BenchChild } from './child.js'
import { GiB, MiB, fmt, mbps, parseFlags, peakRss, printTable, writeRandomFile } from './lib.js'

const flags = parseFlags(process.argv.slice(2))
const size = Number(flags.get('mib') ?? 1024) * MiB
const replicas = Number(flags.get('replicas') ?? 3)
const dir = await mkdtemp(join(tmpdir(), 'veil-bench-share-'))
const children: BenchChild[] = []
let light: VeilNode | undefined

try {
  const nodes: Array<{ addr: string, peerId: string }> = []
  for (let i = 0; i < replicas + 1; i++) {
    const args = ['--repo', join(dir, `storage-${i}`), '--storage', String(8 * size)]
    if (nodes.length > 0) args.push('--bootstrap', nodes[0]!.addr)
    const child = new BenchChild('../testnet/node.js', args)
    children.push(child)
    nodes.push(await child.next())
  }
  light = await VeilNode.create({ repo: join(dir, 'light'), bootstrap: [nodes[0]!.addr], dhtServer: false, listen: [] })
  await light.start()

  // Reference: the same bytes as 1 MiB blocks, pushed in PUTs of 8 to one storage node.
  const target = peerIdFromString(nodes[replicas]!.peerId) // not among the share's likely holders' load
  const seed = new Uint8Array(randomBytes(MiB))
  let started = performance.now()
  for (let sent = 0; sent < size;) {
    const batch = []
    for (let i = 0; i < 8 && sent < size; i++, sent += MiB) {
      const bytes = seed.slice()
      new DataView(bytes.buffer).setFloat64(0, Math.random())
      batch.push({ cid: rawCid(bytes), bytes })
    }
    const outcomes = await light.exchange.push(target, batch)
    if (outcomes.some(o => !o.ok)) throw new Error('the reference push was refused')
  }
  const pushMs = performance.now() - started

  const input = join(dir, 'input.bin')
  await writeRandomFile(input, size)
  started = performance.now()
  const shared = await light.share(input, { replicas, keepLocal: false })
  const shareMs = performance.now() - started
  const rss = peakRss()
  await light.stop()
  light = undefined

  let published = 0
  for (const child of children) {
    await child.stop()
  }
  // Each node printed what it published as its last line.
  for (const child of children) published += (await child.next<{ published: number }>().catch(() => ({ published: 0 }))).published

  console.log(`Veil share benchmark — ${size / MiB} MiB to R=${replicas} storage nodes (${replicas + 1} node processes), loopback\n`)
  printTable([
    { what: `push ${size / MiB} MiB as blocks to one storage node (reference)`, 'MB/s': fmt(mbps(size, pushMs)) },
    { what: `veil share to R=${replicas} (until the link is returned)`, 'MB/s': fmt(mbps(size, shareMs)) }
  ])
  console.log('')
  printTable([{
    'share / one-node push': fmt(mbps(size, shareMs) / mbps(size, pushMs), 2),
    'copies placed': shared.replicas,
    units: shared.units,
    'DHT records published per GiB': fmt(published / (size / GiB), 1),
    'light client peak RSS MB': fmt(rss / MiB, 0)
  }])
  console.log('\ntarget: ≤ 8 DHT records per GiB')
} finally {
  await light?.stop()
  await Promise.all(children.map(async child => { await child.stop() }))
  await rm(dir, { recursive: true, force: true })
}
