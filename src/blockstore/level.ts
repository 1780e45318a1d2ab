import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidParametersError, type AbortOptions } from '@libp2p/interface'
import { Level } from 'level'
import { CID } from 'multiformats/cid'
import { BlockCorruptError, StoreClosedError } from '../errors.js'
import { isSupportedCid } from '../format/index.js'
import { assertStoredBlockIntact, assertSupportedCid, blockNotFound, resolveMaxBlockSize, verifiedCopies } from './block-checks.js'
import { decodeBlockMeta, encodeBlockMeta } from './block-meta.js'
import type { Block, BlockStore, PutOptions, ReadOptions, StoreSize } from './interface.js'
import { KeyLock } from './key-lock.js'
import { BlockFiles } from './block-files.js'

/*
 * On-disk layout of a store directory:
 *
 *   index/    LevelDB: m!<cid> → a 13-byte meta record (see block-meta.ts),
 *             plus the sublevels callers add (leases, pins) — small records
 *             whose atomic batches matter
 *   blocks/   one file per block (see block-files.ts)
 *
 * `m` is the truth: a block is held exactly when its meta record exists. Its
 * file is written (and with `sync`, fsynced) before the record, and removed
 * after it, so the index never names a missing file; a crash in between at
 * worst leaves an unindexed file that no read can reach. Size counting, `has`,
 * `cids` and dedup read only `m`, never a block.
 */
const META_SUBLEVEL = 'm'
const INDEX_DIR = 'index'
const BLOCKS_DIR = 'blocks'

type RootDb = Level<Uint8Array, Uint8Array>

function bytesSublevel (db: RootDb, name: string) {
  return db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' })
}

/** A sublevel of the store's database, with byte keys and byte values. */
export type StoreSublevel = ReturnType<typeof bytesSublevel>

/**
 * One write on a caller's sublevel (from `LevelBlockStore.sublevel`) to commit
 * in the same batch as blocks, e.g. a lease or pin record that must exist
 * exactly when the block does.
 */
export type StoreBatchOperation =
  | { type: 'put', sublevel: StoreSublevel, key: Uint8Array, value: Uint8Array }
  | { type: 'del', sublevel: StoreSublevel, key: Uint8Array }

export interface LevelPutOptions extends PutOptions {
  /**
   * Operations committed atomically with the blocks, in the same LevelDB batch
   * (and under the same `sync`). They are written even when every block was
   * already held. Each must target a sublevel from `store.sublevel()`.
   */
  extraOps?: StoreBatchOperation[]
}

export interface LevelBlockStoreInit {
  /** Largest block accepted, in bytes. Default `DEFAULT_MAX_BLOCK_SIZE` (4 MiB + 64). */
  maxBlockSize?: number
}

/** Caller sublevel names: short, lowercase; one-letter names are kept for the store itself. */
const CALLER_SUBLEVEL_NAME = /^[a-z][a-z0-9-]{1,31}$/

/**
 * The block store of a storage node, on LevelDB (via `level`).
 *
 * Every block is verified before it is written and re-verified on every read;
 * a stored block that no longer matches its CID is reported with
 * `BlockCorruptError` and left in place, so the caller decides to delete and
 * refetch it. Block and byte counts are kept in memory: counted once at open
 * from the meta records, then updated by each put and delete.
 */
export class LevelBlockStore implements BlockStore {
  /** Open (creating if needed) the store in directory `path`. */
  static async open (path: string, options: LevelBlockStoreInit & AbortOptions = {}): Promise<LevelBlockStore> {
    const maxBlockSize = resolveMaxBlockSize(options.maxBlockSize)
    options.signal?.throwIfAborted()
    await mkdir(path, { recursive: true })
    const db: RootDb = new Level<Uint8Array, Uint8Array>(join(path, INDEX_DIR), { keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
    const files = new BlockFiles(join(path, BLOCKS_DIR))
    await files.init()
    const store = new LevelBlockStore(path, db, files, maxBlockSize)
    try {
      await store.#countStoredBlocks(options)
    } catch (err) {
      await db.close()
      throw err
    }
    return store
  }

  /** The directory holding the database. */
  readonly path: string
  readonly maxBlockSize: number
  readonly #db: RootDb
  readonly #files: BlockFiles
  readonly #meta: StoreSublevel
  readonly #callerSublevels = new Map<string, StoreSublevel>()
  readonly #locks = new KeyLock()
  #blockCount = 0
  #byteCount = 0
  #closing: Promise<void> | undefined

  private constructor (path: string, db: RootDb, files: BlockFiles, maxBlockSize: number) {
    this.path = path
    this.maxBlockSize = maxBlockSize
    this.#db = db
    this.#files = files
    this.#meta = bytesSublevel(db, META_SUBLEVEL)
  }

  /**
   * A sublevel of this store's database for records that must change together
   * with blocks (pass writes to it as `extraOps` of `put`/`putMany`). Keys and
   * values are bytes; the caller owns their encoding. Names are 2–32 characters
   * of `a-z`, `0-9` and `-`, starting with a letter; the same name gives the
   * same sublevel.
   */
  sublevel (name: string): StoreSublevel {
    this.#assertOpen()
    if (!CALLER_SUBLEVEL_NAME.test(name)) {
      throw new InvalidParametersError(`sublevel name "${name}" is not allowed: use 2–32 characters of a-z, 0-9 and "-", starting with a letter (one-letter names are reserved for the block store)`)
    }
    let sublevel = this.#callerSublevels.get(name)
    if (sublevel === undefined) {
      sublevel = bytesSublevel(this.#db, name)
      this.#callerSublevels.set(name, sublevel)
    }
    return sublevel
  }

  async put (block: Block, options: LevelPutOptions = {}): Promise<void> {
    await this.putMany([block], options)
  }

  async putMany (blocks: Iterable<Block>, options: LevelPutOptions = {}): Promise<void> {
    this.#assertOpen()
    options.signal?.throwIfAborted()
    const extraOps = this.#checkExtraOps(options.extraOps ?? [])
    // Verify every block before writing any; the same CID twice is written once.
    const checked = new Map<string, Block>()
    for (const copy of await verifiedCopies(blocks, this.maxBlockSize)) checked.set(copy.cid.toString(), copy)
    this.#assertOpen()
    if (checked.size === 0 && extraOps.length === 0) return

    const release = await this.#locks.acquire(checked.keys(), options)
    try {
      this.#assertOpen()
      options.signal?.throwIfAborted()
      const list = [...checked.values()]
      // Holding the keys, "absent now" stays true until our batch lands.
      const metas = await this.#meta.getMany(list.map(block => block.cid.bytes))
      const storedAt = Date.now()
      const ops: StoreBatchOperation[] = []
      const added: Block[] = []
      let heldMeta: { key: Uint8Array, value: Uint8Array } | undefined
      list.forEach((block, i) => {
        const existing = metas[i]
        if (existing !== undefined) {
          heldMeta ??= { key: block.cid.bytes, value: existing }
          return
        }
        ops.push({ type: 'put', sublevel: this.#meta, key: block.cid.bytes, value: encodeBlockMeta({ byteLength: block.bytes.byteLength, storedAt }) })
        added.push(block)
      })
      ops.push(...extraOps)
      const sync = options.sync === true
      // Files first: the index must never name a block whose file is not complete.
      await this.#files.write(added, sync)
      if (ops.length === 0 && sync && heldMeta !== undefined) {
        // Every block is already held, but perhaps only from a non-durable
        // write. Rewriting one meta record unchanged with sync flushes the
        // LevelDB log, which makes every earlier write durable too.
        ops.push({ type: 'put', sublevel: this.#meta, key: heldMeta.key, value: heldMeta.value })
      }
      if (ops.length > 0) await this.#db.batch(ops, { sync })
      for (const block of added) {
        this.#blockCount++
        this.#byteCount += block.bytes.byteLength
      }
    } catch (err) {
      throw this.#closedOr(err)
    } finally {
      release()
    }
  }

  async get (cid: CID, options: ReadOptions = {}): Promise<Uint8Array> {
    this.#assertOpen()
    options.signal?.throwIfAborted()
    assertSupportedCid(cid)
    let bytes: Uint8Array | undefined
    try {
      if (await this.#meta.get(cid.bytes) === undefined) throw blockNotFound(cid)
      bytes = await this.#files.read(cid)
    } catch (err) {
      throw this.#closedOr(err)
    }
    if (bytes === undefined) throw new BlockCorruptError(`the file of block ${cid.toString()} is missing from the store: delete the block and fetch it again from a peer`)
    if (options.verify !== false) await assertStoredBlockIntact(cid, bytes)
    // LevelDB hands back a Buffer; give callers the plain Uint8Array the
    // interface promises (same memory, no copy), as the memory store does.
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** When a held block was stored (ms since the epoch), or undefined when it is not held. */
  async storedAt (cid: CID, options: AbortOptions = {}): Promise<number | undefined> {
    this.#assertOpen()
    options.signal?.throwIfAborted()
    if (!isSupportedCid(cid)) return undefined
    const metaBytes = await this.#meta.get(cid.bytes)
    return metaBytes === undefined ? undefined : decodeBlockMeta(metaBytes)?.storedAt ?? 0
  }

  /** A held block's length in bytes, from its index record (the block is not read), or undefined when not held. */
  async byteLength (cid: CID, options: AbortOptions = {}): Promise<number | undefined> {
    this.#assertOpen()
    options.signal?.throwIfAborted()
    if (!isSupportedCid(cid)) return undefined
    const metaBytes = await this.#meta.get(cid.bytes)
    return metaBytes === undefined ? undefined : await this.#storedLength(cid.bytes, metaBytes)
  }

  async has (cid: CID, options: AbortOptions = {}): Promise<boolean> {
    this.#assertOpen()
    options.signal?.throwIfAborted()
    if (!isSupportedCid(cid)) return false
    try {
      return await this.#meta.has(cid.bytes)
    } catch (err) {
      throw this.#closedOr(err)
    }
  }

  async delete (cid: CID, options: AbortOptions = {}): Promise<void> {
    this.#assertOpen()
    options.signal?.throwIfAborted()
    if (!isSupportedCid(cid)) return // never stored, so nothing to remove
    const release = await this.#locks.acquire([cid.toString()], options)
    try {
      this.#assertOpen()
      const metaBytes = await this.#meta.get(cid.bytes)
      if (metaBytes === undefined) return
      const byteLength = await this.#storedLength(cid.bytes, metaBytes)
      // Index first: once the record is gone no read reaches the file.
      await this.#db.batch([{ type: 'del', sublevel: this.#meta, key: cid.bytes }])
      await this.#files.remove(cid)
      this.#blockCount--
      this.#byteCount -= byteLength
    } catch (err) {
      throw this.#closedOr(err)
    } finally {
      release()
    }
  }

  async * cids (options: AbortOptions = {}): AsyncGenerator<CID> {
    this.#assertOpen()
    try {
      for await (const key of this.#meta.keys()) {
        options.signal?.throwIfAborted()
        let cid: CID
        try {
          cid = CID.decode(key)
        } catch {
          continue // an undecodable key names no block anyone can ask for
        }
        yield cid
      }
    } catch (err) {
      throw this.#closedOr(err)
    }
  }

  async size (options: AbortOptions = {}): Promise<StoreSize> {
    this.#assertOpen()
    options.signal?.throwIfAborted()
    return { blocks: this.#blockCount, bytes: this.#byteCount }
  }

  /** Close the database. Safe to call again; every other call afterwards throws `StoreClosedError`. */
  async close (): Promise<void> {
    this.#closing ??= this.#db.close()
    await this.#closing
  }

  async #countStoredBlocks (options: AbortOptions): Promise<void> {
    for await (const [key, value] of this.#meta.iterator()) {
      options.signal?.throwIfAborted()
      this.#blockCount++
      this.#byteCount += await this.#storedLength(key, value)
    }
  }

  /** Byte length of a stored block, from its meta record or, if that is unreadable, from its file. */
  async #storedLength (key: Uint8Array, metaBytes: Uint8Array): Promise<number> {
    const meta = decodeBlockMeta(metaBytes)
    if (meta !== undefined) return meta.byteLength
    // A damaged meta record must not stop the store from opening or deleting.
    try {
      return await this.#files.sizeOf(CID.decode(key))
    } catch {
      return 0
    }
  }


  #checkExtraOps (extraOps: StoreBatchOperation[]): StoreBatchOperation[] {
    const ours = new Set(this.#callerSublevels.values())
    for (const op of extraOps) {
      if (!ours.has(op.sublevel)) {
        throw new InvalidParametersError('every extra batch operation must target a sublevel obtained from this store\'s sublevel() method')
      }
      if (op.type !== 'put' && op.type !== 'del') {
        throw new InvalidParametersError('an extra batch operation must be of type "put" or "del"')
      }
    }
    return extraOps
  }

  #assertOpen (): void {
    if (this.#closing !== undefined) throw new StoreClosedError(`the block store at ${this.path} is closed: open it again with LevelBlockStore.open()`)
  }

  /** An operation cut short by close() reports the close, not LevelDB's internal error. */
  #closedOr (err: unknown): unknown {
    const code = (err as { code?: unknown } | null)?.code
    if (this.#closing !== undefined && typeof code === 'string' && code.startsWith('LEVEL_')) {
      return new StoreClosedError(`the block store at ${this.path} was closed while the operation ran`)
    }
    return err
  }
}
