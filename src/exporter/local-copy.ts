import { open } from 'node:fs/promises'
import type { AbortOptions } from '@libp2p/interface'
import { sealBlock } from '../crypto/aead.js'
import { paddedLength } from '../crypto/padding.js'
import { rawCid } from '../format/cid.js'
import { walkBlocks, type LoadTreeNode } from '../format/tree.js'
import { loadTreeNode, type BlockSource } from './source.js'
import type { OpenedShare } from './open-share.js'

/**
 * True when the file at `path` holds exactly this share's plaintext. Checked
 * without fetching any content: each local block is re-sealed with the
 * share's key and its CID compared with the manifest's (sealing is
 * deterministic for a given key, position and plaintext). Only the small
 * manifest nodes are read from `source`.
 */
export async function isLocalCopy (path: string, share: OpenedShare, source: BlockSource, options: AbortOptions = {}): Promise<boolean> {
  const { root, meta, blockKey } = share
  const blockSize = root.blockSize
  const paddedSize = paddedLength(meta.size, meta.padding)
  const handle = await open(path, 'r')
  try {
    if ((await handle.stat()).size !== meta.size) return false
    const loadNode: LoadTreeNode = async (cid, height, opts) => await loadTreeNode(source, cid, height, opts)
    for await (const ref of walkBlocks(share.cid, root, loadNode, 0, root.blockCount, options)) {
      const start = ref.index * blockSize
      const plain = new Uint8Array(Math.min(blockSize, paddedSize - start))
      const dataLength = Math.max(0, Math.min(plain.length, meta.size - start))
      let filled = 0
      while (filled < dataLength) {
        const { bytesRead } = await handle.read(plain, filled, dataLength - filled, start + filled)
        if (bytesRead === 0) return false
        filled += bytesRead
      }
      if (!rawCid(sealBlock(blockKey, ref.index, ref.last, plain)).equals(ref.cid)) return false
    }
    return true
  } finally {
    await handle.close()
  }
}
