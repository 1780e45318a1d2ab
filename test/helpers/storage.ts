import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { CID } from 'multiformats/cid'
import { startNode, addressOf } from './swarm.js'
import type { VeilNode, VeilNodeInit } from '../../src/node/index.js'
import { decodeUnitNode } from '../../src/format/index.js'
import { sha256 } from '../../src/crypto/index.js'
import type { StorageInit } from '../../src/replication/index.js'

/** Storage settings for tests: everything short, timers effectively off (passes run on demand). */
export const TEST_STORAGE: StorageInit = {
  capacity: 1024 * 1024 * 1024,
  repairIntervalMs: 3_600_000,
  scrubIntervalMs: 3_600_000,
  gcIntervalMs: 3_600_000,
  lookupTimeoutMs: 3_000
}

/** Start `count` storage nodes with repos under `dir`, all bootstrapping from `bootstrap`. */
export async function startStorageNodes (count: number, dir: string, bootstrap: VeilNode, init: Partial<StorageInit> = {}, extra: VeilNodeInit = {}): Promise<VeilNode[]> {
  const nodes: VeilNode[] = []
  for (let i = 0; i < count; i++) {
    nodes.push(await startNode({ ...extra, repo: join(dir, `storage-${i}-${randomBytes(3).toString('hex')}`), bootstrap: [addressOf(bootstrap)], storage: { ...TEST_STORAGE, ...init } }))
  }
  return nodes
}

/** Every unit of a share (root first), read through `node`'s fetcher (public data only). */
export async function unitsOf (node: VeilNode, root: CID): Promise<CID[]> {
  const fetcher = node.fetcher()
  const units: CID[] = []
  const pending = [root]
  while (pending.length > 0) {
    const unit = pending.shift()!
    units.push(unit)
    const decoded = decodeUnitNode(await fetcher.get(unit, { segment: unit }))
    if (decoded.height > 0) pending.push(...decoded.children)
  }
  return units
}

/** Holders of a unit that prove, to `client`, that they hold its node. */
export async function provenHolders (client: VeilNode, unit: CID): Promise<string[]> {
  const bytes = await client.fetcher().get(unit, { segment: unit })
  const live: string[] = []
  const checks: Array<Promise<void>> = []
  for await (const holder of client.findHolders(unit, { enough: 20, timeoutMs: 3_000 })) {
    checks.push((async () => {
      try {
        const nonce = new Uint8Array(randomBytes(32))
        const [proof] = await client.exchange.prove(holder.id, nonce, [unit], { signal: AbortSignal.timeout(3_000) })
        if (proof !== undefined && Buffer.from(proof).equals(Buffer.from(sha256(nonce, bytes)))) live.push(holder.id.toString())
      } catch {
        // not live
      }
    })())
  }
  await Promise.all(checks)
  return live
}
