import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { readdir, readFile, stat } from 'node:fs/promises'
import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import { startNode, addressOf } from '../helpers/swarm.js'
import { startStorageNodes } from '../helpers/storage.js'
import { tempDir, writeRandomFile, sha256File } from '../helpers/files.js'
import { resolveLink, type VeilNode } from '../../src/node/index.js'
import { parseLink } from '../../src/link/index.js'
import { decodeNameRecord, nameDhtKey, signNameRecord, KeyStore } from '../../src/names/index.js'
import type { LevelBlockStore } from '../../src/blockstore/index.js'

/*
 * Mutable links on a real swarm on 127.0.0.1: a bootstrap node, three
 * storage nodes, a publisher (a light client with a repo) and a fresh
 * client for every fetch.
 */

/** kad-dht's store (libp2p's datastore: memory, in these nodes). */
interface Datastore {
  query(q: { prefix: string }): AsyncIterable<{ key: unknown, value: Uint8Array }>
  delete(key: unknown): Promise<void>
}

function datastoreOf (node: VeilNode): Datastore {
  return (node.libp2p as unknown as { components: { datastore: Datastore } }).components.datastore
}

/** Every record kad-dht holds on `node`, as stored (Libp2pRecord protobuf bytes). */
async function dhtEntries (node: VeilNode): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const { value } of datastoreOf(node).query({ prefix: '/dht/record' })) out.push(value)
  return out
}

async function clearDhtRecords (node: VeilNode): Promise<void> {
  for await (const { key } of datastoreOf(node).query({ prefix: '/dht/record' })) await datastoreOf(node).delete(key)
}

/** Every file under `dir` (the repo: block files, LevelDB tables and logs, key files). */
async function filesUnder (dir: string): Promise<Buffer[]> {
  const out: Buffer[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name)
    if ((await stat(path)).isFile()) out.push(await readFile(path))
  }
  return out
}

function contains (haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).indexOf(Buffer.from(needle)) !== -1
}

async function fetchLink (bootstrap: string, link: string, output: string): Promise<{ sequence?: number, cid: CID }> {
  const client = await startNode({ bootstrap: [bootstrap], dhtServer: false })
  const resolved = await resolveLink(client.names, parseLink(link, { allowName: true }))
  await client.get({ cid: resolved.cid, key: resolved.key! }, { output })
  return { sequence: resolved.version?.sequence, cid: resolved.cid }
}

describe('mutable links', () => {
  it('publish, then update three times: a fresh client gets the newest version each time, byte-identical; records leak nothing; forgeries are refused; storage nodes republish', async () => {
    const dir = await tempDir()
    const boot = await startNode({})
    const bootstrap = addressOf(boot)
    const storage = await startStorageNodes(3, dir, boot)
    const publisher = await startNode({ repo: join(dir, 'publisher'), bootstrap: [bootstrap], dhtServer: false })
    let link: string | undefined
    const versions: Array<{ cid: CID, key: Uint8Array, file: string }> = []
    const records: Uint8Array[] = []
    for (let version = 1; version <= 4; version++) {
      const file = join(dir, `v${version}.bin`)
      await writeRandomFile(file, 300_000 + version)
      const shared = await publisher.share(file, { replicas: 3, keepLocal: false })
      const published = await publisher.names.publish('doc', { root: shared.cid, key: shared.key }, { holders: shared.rootHolders })
      expect(published.sequence).toBe(version)
      expect(published.created).toBe(version === 1)
      expect(published.dhtPeers).toBeGreaterThan(0)
      expect(published.holders).toBeGreaterThanOrEqual(3)
      link ??= published.link
      expect(published.link).toBe(link)
      versions.push({ cid: shared.cid, key: shared.key, file })
      records.push((await new KeyStore(join(dir, 'publisher')).require('doc')).record!)
      const out = join(dir, `fetched-${version}.bin`)
      const fetched = await fetchLink(bootstrap, link, out)
      expect(fetched.sequence).toBe(version)
      expect(fetched.cid.equals(shared.cid)).toBe(true)
      expect(await sha256File(out)).toBe(await sha256File(file))
    }

    // Neither the DHT's records nor the storage nodes' stores hold a root CID or a key in clear.
    const readKey = parseLink(link!, { allowName: true }).key!
    const dhtKey = await nameDhtKey(decodeNameRecord(records[3]!).publicKey)
    let found = 0
    for (const node of [boot, ...storage]) {
      for (const entry of await dhtEntries(node)) {
        if (contains(entry, records[3]!)) found++
        for (const version of versions) {
          expect(contains(entry, version.cid.bytes)).toBe(false)
          expect(contains(entry, version.cid.multihash.digest)).toBe(false)
          expect(contains(entry, version.key)).toBe(false)
        }
        expect(contains(entry, readKey)).toBe(false)
      }
      const held = node.storage === undefined ? [] : await collect(node.names.heldList())
      for (const { record } of held) for (const version of versions) expect(contains(record.bytes, version.cid.bytes)).toBe(false)
    }
    expect(found).toBeGreaterThan(0)
    const repos = (await readdir(dir)).filter(name => name.startsWith('storage-'))
    expect(repos).toHaveLength(3)
    for (const repo of repos) {
      for (const bytes of await filesUnder(join(dir, repo))) {
        for (const version of versions) expect(contains(bytes, version.key)).toBe(false)
        expect(contains(bytes, readKey)).toBe(false)
      }
    }
    for (const node of storage) {
      // Each storage node keeps the record (it holds the share, or is closest to the name) without knowing which share it is.
      expect(node.names.heldRecords).toBe(1)
      const entries = await collect((node.store as LevelBlockStore).sublevel('names').iterator())
      for (const [, value] of entries) {
        const map = dagCbor.decode<Record<string, unknown>>(value)
        expect(Object.keys(map).sort()).toEqual(['at', 'by', 'r', 'v'])
      }
    }

    // Forged records are refused by every DHT node: a bad signature, a replayed older version, an oversized value.
    const attacker = await startNode({ bootstrap: [bootstrap], dhtServer: false })
    const genuine = decodeNameRecord(records[3]!)
    const badSignature = dagCbor.encode({ ...dagCbor.decode<Record<string, unknown>>(records[3]!), seq: 99 })
    const seed = (await new KeyStore(join(dir, 'publisher')).require('doc')).seed
    const oversized = signNameRecord(seed, { ...genuine, sequence: 100, sealedValue: new Uint8Array(1000) })
    for (const [what, forged] of [['bad signature', badSignature], ['older version', records[1]!], ['oversized value', oversized]] as const) {
      let stored = 0
      let refused = 0
      for await (const event of attacker.libp2p.services.dht.put(dhtKey, forged, { signal: AbortSignal.timeout(20_000) })) {
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') stored++
        if (event.name === 'QUERY_ERROR') refused++
      }
      expect(stored, what).toBe(0)
      expect(refused, what).toBeGreaterThan(0)
    }
    // (The genuine newest record, put the same way, is taken: the refusals above are the validator's.)
    let taken = 0
    for await (const event of attacker.libp2p.services.dht.put(dhtKey, records[3]!, { signal: AbortSignal.timeout(20_000) })) {
      if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') taken++
    }
    expect(taken).toBeGreaterThan(0)
    const again = await fetchLink(bootstrap, link!, join(dir, 'after-forgery.bin'))
    expect(again.sequence).toBe(4)

    // A storage node that holds a version keeps the previous one until its lease ends.
    const old = await startNode({ bootstrap: [bootstrap], dhtServer: false })
    await old.get({ cid: versions[0]!.cid, key: versions[0]!.key }, { output: join(dir, 'old.bin') })
    expect(await sha256File(join(dir, 'old.bin'))).toBe(await sha256File(versions[0]!.file))

    // The publisher leaves and every DHT node loses the record (kad-dht drops records 48 h after it got them):
    // the link no longer resolves, until a storage node republishes it.
    await publisher.stop()
    await attacker.stop()
    for (const node of [boot, ...storage]) await clearDhtRecords(node)
    const lost = await startNode({ bootstrap: [bootstrap], dhtServer: false })
    await expect(resolveLink(lost.names, parseLink(link!, { allowName: true }))).rejects.toMatchObject({ name: 'NameNotFoundError' })
    const republished = await storage[0]!.names.republish()
    expect(republished.held).toBe(1)
    const back = await fetchLink(bootstrap, link!, join(dir, 'republished.bin'))
    expect(back.sequence).toBe(4)
    expect(await sha256File(join(dir, 'republished.bin'))).toBe(await sha256File(versions[3]!.file))
  }, 180_000)
})

async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}
