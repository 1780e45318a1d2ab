import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { defaultLogger } from '@libp2p/logger'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { Fetcher, type FetchNetwork } from '../../../src/fetch/index.js'
import { importFile, MemoryBlockStore } from '../../../src/index.js'
import { openShare, readShare } from '../../../src/exporter/index.js'
import { fetchRefill, FETCH_WINDOW } from '../../../src/node/constants.js'
import type { WantResult } from '../../../src/protocol/index.js'
import { tempDir, writeRandomFile } from '../../helpers/files.js'

const BLOCK = 64 * 1024
const BLOCKS = 64

/** One holder serving from `store`; records how many blocks each WANT (each stream) asked for. */
function holder (store: MemoryBlockStore, peer: PeerId): FetchNetwork & { wants: number[] } {
  const wants: number[] = []
  return {
    wants,
    async * want (_peer: PeerId, cids: CID[]): AsyncIterable<WantResult> {
      wants.push(cids.length)
      for (const cid of cids) {
        await new Promise(resolve => setTimeout(resolve, 1)) // a block takes a while to arrive
        yield { cid, bytes: await store.get(cid) }
      }
    },
    async * findHolders (): AsyncIterable<PeerInfo> {
      yield { id: peer, multiaddrs: [] }
    }
  }
}

async function fetchAll (window: number, refill: number): Promise<{ wants: number[], same: boolean }> {
  const dir = await tempDir()
  const input = join(dir, 'in.bin')
  await writeRandomFile(input, BLOCKS * BLOCK - 100)
  const store = new MemoryBlockStore()
  const share = await importFile(input, store, { blockSize: BLOCK })
  const net = holder(store, peerIdFromPrivateKey(await generateKeyPair('Ed25519')))
  const fetcher = new Fetcher({ network: net, logger: defaultLogger() })
  const opened = await openShare({ cid: share.cid, key: share.key }, fetcher)
  const chunks: Uint8Array[] = []
  for await (const chunk of readShare(opened, fetcher, { concurrency: window, refill })) chunks.push(chunk)
  return { wants: net.wants, same: Buffer.concat(chunks).equals(await readFile(input)) }
}

describe('a fetch asks for its blocks in batches', () => {
  it(`with the node's window (${FETCH_WINDOW}, refilled ${fetchRefill(FETCH_WINDOW)} at a time), ${BLOCKS} blocks take at most ${BLOCKS / 8 + 2} WANTs`, async () => {
    const { wants, same } = await fetchAll(FETCH_WINDOW, fetchRefill(FETCH_WINDOW))
    expect(same).toBe(true)
    // The root (and any index node) on WANTs of their own, then the blocks 8 to a WANT.
    expect(wants.length).toBeLessThanOrEqual(BLOCKS / 8 + 2)
    expect(wants.filter(n => n === 8).length).toBeGreaterThanOrEqual(BLOCKS / 8 - 1)
  })

  it('refilled one block at a time, nearly every block went out on a WANT of its own (what the batching fixed)', async () => {
    const { wants, same } = await fetchAll(8, 1)
    expect(same).toBe(true)
    expect(wants.length).toBeGreaterThan(BLOCKS / 2)
  })
})
