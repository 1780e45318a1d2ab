import { CustomProgressEvent } from 'progress-events'
import type { CID } from 'multiformats/cid'
import type { Block } from '../blockstore/index.js'
import { deriveSubkeys, TAG_LENGTH, importAesKey, sealBlockAsync, paddedLength } from '../crypto/index.js'
import { rawCidAsync, encodeRoot, type ShareMeta, blockCountFor, TreeBuilder } from '../format/index.js'
import type { BlockSink, ImportOptions, ResolvedImportOptions } from './options.js'
import { BatchWriter } from './batch-writer.js'
import { orderedWindow } from '../util/index.js'

/** What one share import produced. */
export interface ShareResult {
  cid: CID
  key: Uint8Array
  meta: ShareMeta
  /** Content blocks (sealed). */
  blocks: number
  /** Bytes handed to the sink: sealed blocks plus manifest nodes. */
  storedBytes: number
}

export interface WriteShareInput {
  fileKey: Uint8Array
  meta: Omit<ShareMeta, 'padding'>
  /** Plaintext blocks of exactly blockSize bytes (the last may be shorter), padding included. */
  blocks: AsyncIterable<Uint8Array>
  sink: BlockSink
  config: ResolvedImportOptions
}

/**
 * The core of every import: seal each padded plaintext block with the STREAM
 * nonce, address it by the SHA-256 of its ciphertext, hand batches to the
 * sink with a bounded number in flight, build the tree as blocks stream by
 * and finally seal the root. Memory: at most batchBlocks × batchesInFlight
 * sealed blocks plus one open node per tree level.
 */
export async function writeShare (input: WriteShareInput, options: ImportOptions = {}): Promise<ShareResult> {
  const { config, sink, fileKey } = input
  const { log } = config
  const meta: ShareMeta = { ...input.meta, padding: config.padding }
  const blockCount = blockCountFor(paddedLength(meta.size, meta.padding), config.blockSize)
  const { blockKey } = deriveSubkeys(fileKey)
  const writer = new BatchWriter(sink, config, options)
  let storedBytes = 0

  const putNode = async (node: { cid: CID, bytes: Uint8Array }): Promise<void> => {
    storedBytes += node.bytes.length
    await writer.add(node)
  }
  const tree = new TreeBuilder(blockCount, async (node, ref) => {
    await putNode(node)
    if (sink.segmentDone !== undefined) {
      // Every block under this node was queued before it: drain, then tell the sink.
      await writer.drain()
      await sink.segmentDone(ref, options)
    }
  })

  options.onProgress?.(new CustomProgressEvent('veil:import:start', { name: meta.name, size: meta.size, blocks: blockCount }))
  log('sealing a %s of %d bytes into %d blocks of %d bytes', meta.kind, meta.size, blockCount, config.blockSize)
  // Sealing and hashing run on the thread pool; the event loop keeps reading
  // and writing files meanwhile.
  const aesKey = await importAesKey(blockKey)
  const seal = async (index: number, plain: Uint8Array): Promise<Block> => {
    const sealed = await sealBlockAsync(aesKey, index, index === blockCount - 1, plain)
    return { cid: await rawCidAsync(sealed), bytes: sealed }
  }
  let done = 0
  let count = 0
  // Plaintext blocks become sealing tasks; results come back in order.
  const sealTasks = async function * (): AsyncGenerator<() => Promise<Block>> {
    for await (const plain of input.blocks) {
      options.signal?.throwIfAborted()
      if (count >= blockCount) throw new RangeError('the block source produced more blocks than the size allows')
      const index = count++
      yield async () => await seal(index, plain)
    }
  }

  try {
    for await (const block of orderedWindow(sealTasks(), config.sealWindow)) {
      storedBytes += block.bytes.length
      await writer.add(block)
      await tree.add(block.cid)
      done++
      options.onProgress?.(new CustomProgressEvent('veil:import:block', { index: done, blocks: blockCount, bytes: block.bytes.length - TAG_LENGTH }))
    }
    if (count !== blockCount) throw new RangeError(`the block source produced ${count} of ${blockCount} blocks`)
    const top = await tree.finish()
    const root = encodeRoot({ fileKey, blockSize: config.blockSize, blockCount, height: top.height, children: top.children, meta })
    storedBytes += root.bytes.length
    await writer.add(root)
    await writer.drain()
    if (sink.segmentDone !== undefined) {
      await sink.segmentDone({ cid: root.cid, height: top.height, children: top.children, firstBlock: 0 }, options)
    }
    log('stored share root %c (%d bytes in the sink)', root.cid, storedBytes)
    options.onProgress?.(new CustomProgressEvent('veil:import:done', { name: meta.name, cid: root.cid, size: meta.size }))
    return { cid: root.cid, key: fileKey, meta, blocks: blockCount, storedBytes }
  } finally {
    await writer.close()
  }
}
