import { open, type FileHandle } from 'node:fs/promises'
import type { AbortOptions } from '@libp2p/interface'
import { sealBlock, paddedLength } from '../crypto/index.js'
import { rawCid, walkBlocks, type LoadTreeNode } from '../format/index.js'
import { loadTreeNode, type BlockSource } from '../blockstore/index.js'
import type { OpenedShare } from './open-share.js'

/*
 * Checking local plaintext against a share without fetching any content:
 * each block is re-sealed with the share's key and its CID compared with the
 * manifest's (sealing is deterministic for a given key, position and
 * plaintext). Only the small manifest nodes are read from `source`.
 */

/**
 * How many leading blocks (up to `limit`) of the file at `path` match the
 * share — where an interrupted download can safely resume, whatever reached
 * the disk before the interruption.
 */
export async function verifiedPrefix (path: string, share: OpenedShare, source: BlockSource, limit: number, options: AbortOptions = {}): Promise<number> {
  const handle = await open(path, 'r')
  try {
    return await matchingBlocks(handle, share, source, Math.min(limit, share.root.blockCount), options)
  } finally {
    await handle.close()
  }
}

/** True when the file at `path` holds exactly this share's plaintext. */
export async function isLocalCopy (path: string, share: OpenedShare, source: BlockSource, options: AbortOptions = {}): Promise<boolean> {
  const handle = await open(path, 'r')
  try {
    if ((await handle.stat()).size !== share.meta.size) return false
    const count = share.root.blockCount
    return await matchingBlocks(handle, share, source, count, options) === count
  } finally {
    await handle.close()
  }
}

async function matchingBlocks (handle: FileHandle, share: OpenedShare, source: BlockSource, end: number, options: AbortOptions): Promise<number> {
  const { root, meta, blockKey } = share
  const blockSize = root.blockSize
  const paddedSize = paddedLength(meta.size, meta.padding)
  const loadNode: LoadTreeNode = async (cid, height, opts) => await loadTreeNode(source, cid, height, opts)
  let matched = 0
  for await (const ref of walkBlocks(share.cid, root, loadNode, 0, end, options)) {
    const start = ref.index * blockSize
    const plain = new Uint8Array(Math.min(blockSize, paddedSize - start))
    const dataLength = Math.max(0, Math.min(plain.length, meta.size - start))
    let filled = 0
    while (filled < dataLength) {
      const { bytesRead } = await handle.read(plain, filled, dataLength - filled, start + filled)
      if (bytesRead === 0) return matched
      filled += bytesRead
    }
    if (!rawCid(sealBlock(blockKey, ref.index, ref.last, plain)).equals(ref.cid)) return matched
    matched++
  }
  return matched
}
