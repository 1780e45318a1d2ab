import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { StoreClosedError } from '../errors.js'
import { assertStoredBlockIntact, assertSupportedCid, blockNotFound, resolveMaxBlockSize, verifiedCopies } from './block-checks.js'
import type { Block, BlockStore, PutOptions, ReadOptions, StoreSize } from './interface.js'

export interface MemoryBlockStoreInit {
  /** Largest block accepted, in bytes. Default `DEFAULT_MAX_BLOCK_SIZE` (4 MiB + 64). */
  maxBlockSize?: number
}

interface StoredBlock extends Block {
  byteLength: number
}

/**
 * A block store held in process memory, for tests and short-lived nodes.
 * It keeps the same promises as the level store: blocks are verified on the
 * way in and again on every read, and the store owns its copies, so neither a
 * caller reusing its buffer nor one mutating a returned block can change what
 * is stored.
 */
export class MemoryBlockStore implements BlockStore {
  readonly maxBlockSize: number
  /**
   * Keyed by the CID's string form; each value holds the store's own copy and
   * the length counted at put, so the counters move back by exactly that much.
   */
  private readonly blocks = new Map<string, StoredBlock>()
  private byteCount = 0
  private closed = false

  constructor (init: MemoryBlockStoreInit = {}) {
    this.maxBlockSize = resolveMaxBlockSize(init.maxBlockSize)
  }

  async put (block: Block, options: PutOptions = {}): Promise<void> {
    await this.putMany([block], options)
  }

  async putMany (blocks: Iterable<Block>, options: PutOptions = {}): Promise<void> {
    this.assertOpen()
    options.signal?.throwIfAborted()
    // Check every block before storing any, so a bad block stores nothing.
    const checked = await verifiedCopies(blocks, this.maxBlockSize)
    this.assertOpen()
    options.signal?.throwIfAborted()
    // From here on everything is synchronous, so concurrent puts cannot interleave.
    for (const block of checked) {
      const key = block.cid.toString()
      if (this.blocks.has(key)) continue
      this.blocks.set(key, { ...block, byteLength: block.bytes.byteLength })
      this.byteCount += block.bytes.byteLength
    }
  }

  async get (cid: CID, options: ReadOptions = {}): Promise<Uint8Array> {
    this.assertOpen()
    options.signal?.throwIfAborted()
    assertSupportedCid(cid)
    const block = this.blocks.get(cid.toString())
    if (block === undefined) throw blockNotFound(cid)
    if (options.verify !== false) await assertStoredBlockIntact(cid, block.bytes)
    return new Uint8Array(block.bytes)
  }

  async has (cid: CID, options: AbortOptions = {}): Promise<boolean> {
    this.assertOpen()
    options.signal?.throwIfAborted()
    return this.blocks.has(cid.toString())
  }

  async delete (cid: CID, options: AbortOptions = {}): Promise<void> {
    this.assertOpen()
    options.signal?.throwIfAborted()
    const key = cid.toString()
    const block = this.blocks.get(key)
    if (block === undefined) return
    this.blocks.delete(key)
    this.byteCount -= block.byteLength
  }

  async * cids (options: AbortOptions = {}): AsyncGenerator<CID> {
    this.assertOpen()
    // Snapshot the keys so deletes during iteration neither skip nor repeat blocks.
    for (const block of [...this.blocks.values()]) {
      options.signal?.throwIfAborted()
      this.assertOpen()
      yield block.cid
    }
  }

  async size (options: AbortOptions = {}): Promise<StoreSize> {
    this.assertOpen()
    options.signal?.throwIfAborted()
    return { blocks: this.blocks.size, bytes: this.byteCount }
  }

  async close (): Promise<void> {
    this.closed = true
    this.blocks.clear()
    this.byteCount = 0
  }

  private assertOpen (): void {
    if (this.closed) throw new StoreClosedError('this memory block store is closed: open a new one')
  }
}
