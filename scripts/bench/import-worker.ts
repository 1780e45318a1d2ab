/**
 * One measurement in a fresh process (so its peak RSS is its own):
 *   --task import  --file F --store D --out O   share F into a level store, export it back
 *   --task level   --store D --bytes N            level batch write + read of N bytes
 *   --task files   --store D --bytes N            the block files alone (write)
 *   --task crypto  --bytes N                      AES-256-GCM seal/open and SHA-256
 * Prints one JSON line.
 */
import '../../src/platform/index.js'
import { randomBytes, createHash } from 'node:crypto'
import { Level } from 'level'
import { importFile, exportShare, openBlockStore } from '../../src/index.js'
import { sealBlock, openBlock } from '../../src/crypto/index.js'
import { BlockFiles } from '../../src/blockstore/index.js'
import { rawCid } from '../../src/format/index.js'
import { MiB, parseFlags, peakRss } from './lib.js'

const flags = parseFlags(process.argv.slice(2))
const task = flags.get('task')

async function importTask (): Promise<unknown> {
  const store = await openBlockStore({ path: flags.get('store')! })
  let t = performance.now()
  const shared = await importFile(flags.get('file')!, store)
  const importMs = performance.now() - t
  const importRss = peakRss()
  t = performance.now()
  await exportShare({ cid: shared.cid, key: shared.key }, store, { output: flags.get('out')! })
  const exportMs = performance.now() - t
  await store.close()
  return { importMs, exportMs, importRss, peakRss: peakRss(), size: shared.meta.size }
}

/**
 * The reference: level writing 1 MiB values in batches, tuned for them
 * (increasing keys so compaction never rewrites a value, 32 MiB memtable, no
 * compression) — its best case, not its defaults (~30 MB/s sustained).
 */
async function levelTask (): Promise<unknown> {
  const bytes = Number(flags.get('bytes'))
  const db = new Level<Uint8Array, Uint8Array>(flags.get('store')!, { keyEncoding: 'view', valueEncoding: 'view', compression: false, writeBufferSize: 32 * MiB, maxFileSize: 64 * MiB })
  await db.open()
  const value = new Uint8Array(randomBytes(MiB))
  const batch = 8
  const count = Math.ceil(bytes / MiB)
  const key = (i: number): Uint8Array => { const k = new Uint8Array(8); new DataView(k.buffer).setBigUint64(0, BigInt(i)); return k }
  let t = performance.now()
  const inFlight = new Set<Promise<void>>()
  for (let i = 0; i < count; i += batch) {
    const ops = []
    for (let j = i; j < Math.min(count, i + batch); j++) {
      value[0] = j & 0xff
      ops.push({ type: 'put' as const, key: key(j), value: value.slice() })
    }
    const p: Promise<void> = db.batch(ops).finally(() => inFlight.delete(p))
    inFlight.add(p)
    if (inFlight.size >= 2) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  const writeMs = performance.now() - t
  t = performance.now()
  let read = 0
  for (let i = 0; i < count; i++) read += (await db.get(key(i)))!.length
  const readMs = performance.now() - t
  await db.close()
  return { writeMs, readMs, bytes: count * MiB, read }
}

/** Our store's own ceiling: the block files alone, no hashing, no index. */
async function filesTask (): Promise<unknown> {
  const bytes = Number(flags.get('bytes'))
  const files = new BlockFiles(flags.get('store')!)
  await files.init()
  const count = Math.ceil(bytes / MiB)
  const seed = new Uint8Array(randomBytes(MiB))
  let writeMs = 0
  for (let i = 0; i < count; i += 4) {
    const batch = []
    for (let j = i; j < Math.min(count, i + 4); j++) {
      const data = seed.slice()
      new DataView(data.buffer).setUint32(0, j)
      batch.push({ cid: rawCid(data), bytes: data })
    }
    const t = performance.now() // time the writes only, not making the blocks
    await files.write(batch, false)
    writeMs += performance.now() - t
  }
  return { writeMs, bytes: count * MiB }
}

function cryptoTask (): unknown {
  const bytes = Number(flags.get('bytes'))
  const key = new Uint8Array(randomBytes(32))
  const block = new Uint8Array(randomBytes(MiB))
  const count = Math.ceil(bytes / MiB)
  let t = performance.now()
  let sealed: Uint8Array = block
  for (let i = 0; i < count; i++) sealed = sealBlock(key, i, false, block)
  const sealMs = performance.now() - t
  const one = sealBlock(key, 0, false, block)
  t = performance.now()
  for (let i = 0; i < count; i++) openBlock(key, 0, false, one)
  const openMs = performance.now() - t
  t = performance.now()
  for (let i = 0; i < count; i++) createHash('sha256').update(sealed).digest()
  const shaMs = performance.now() - t
  return { sealMs, openMs, shaMs, bytes: count * MiB }
}

const result = task === 'import' ? await importTask() : task === 'level' ? await levelTask() : task === 'files' ? await filesTask() : task === 'crypto' ? cryptoTask() : undefined
if (result === undefined) {
  console.error('usage: import-worker --task import|level|crypto …')
  process.exit(2)
}
console.log(JSON.stringify(result))
