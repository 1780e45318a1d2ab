import type { FileHandle } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { InputChangedError } from '../errors.js'

export interface PaddedBlocksInput {
  /** True size of the data (what the file's stat said). */
  size: number
  /** Size after padding; blocks past the data are zero-filled. */
  paddedSize: number
  blockSize: number
  /** Blocks to produce (≥ 1: an empty share still has its final block). */
  blockCount: number
}

/** SHA-256 of each block's data bytes, 32 bytes per block, from the hashing pass. */
export type BlockDigests = Uint8Array

const DIGEST_LENGTH = 32

function changedError (index: number): InputChangedError {
  return new InputChangedError(`the file changed while it was being shared (block ${index} differs from the first read): share it again when nothing is writing to it`)
}

/**
 * Read a file as padded plaintext blocks, one fresh buffer per block, with
 * one read ahead so disk reads overlap sealing. Fails with InputChangedError
 * if the file is shorter or longer than its stat said when the share began.
 * With `expected` (convergent mode), each block's data must hash to what the
 * hashing pass saw, checked before the block is yielded: the key was derived
 * from that content, so a block that changed since must never be sealed
 * under it (the same key and nonce over other plaintext).
 */
export async function * readPaddedBlocks (handle: FileHandle, input: PaddedBlocksInput, expected?: BlockDigests): AsyncGenerator<Uint8Array> {
  const { size, paddedSize, blockSize, blockCount } = input

  const readBlock = async (index: number): Promise<Uint8Array> => {
    const start = index * blockSize
    const length = Math.max(0, Math.min(blockSize, paddedSize - start))
    const block = new Uint8Array(length)
    const dataLength = Math.max(0, Math.min(length, size - start))
    let filled = 0
    while (filled < dataLength) {
      const { bytesRead } = await handle.read(block, filled, dataLength - filled, start + filled)
      if (bytesRead === 0) throw new InputChangedError(`the file shrank while it was being shared (expected ${size} bytes): share it again when nothing is writing to it`)
      filled += bytesRead
    }
    if (expected !== undefined && dataLength > 0) {
      const digest = createHash('sha256').update(block.subarray(0, dataLength)).digest()
      if (!digest.equals(expected.subarray(index * DIGEST_LENGTH, (index + 1) * DIGEST_LENGTH))) throw changedError(index)
    }
    return block
  }
  // The read ahead is awaited on the next turn; if the reader stops first, its failure is moot.
  const ahead = (index: number): Promise<Uint8Array> | undefined => {
    if (index >= blockCount) return undefined
    const read = readBlock(index)
    read.catch(() => {})
    return read
  }

  let next = ahead(0)
  for (let index = 0; index < blockCount; index++) {
    const current = await next!
    next = ahead(index + 1)
    yield current
  }
  const probe = new Uint8Array(1)
  const { bytesRead } = await handle.read(probe, 0, 1, size)
  if (bytesRead !== 0) throw new InputChangedError(`the file grew while it was being shared (expected ${size} bytes): share it again when nothing is writing to it`)
}

/** Plaintext blocks of an in-memory buffer, padded (used for folder listings). */
export async function * bytesToPaddedBlocks (bytes: Uint8Array, input: Omit<PaddedBlocksInput, 'size'>): AsyncGenerator<Uint8Array> {
  const { paddedSize, blockSize, blockCount } = input
  for (let index = 0; index < blockCount; index++) {
    const start = index * blockSize
    const block = new Uint8Array(Math.max(0, Math.min(blockSize, paddedSize - start)))
    block.set(bytes.subarray(start, Math.min(bytes.length, start + block.length)))
    yield block
  }
}

/**
 * Convergent mode's first pass: SHA-256 of the whole file (the key is derived
 * from it) and of each block's data (the second pass checks every block
 * against them before sealing it). Memory: 32 bytes per block, 32 MiB per
 * TiB at the default 1 MiB blocks.
 */
export async function hashFile (handle: FileHandle, size: number, blockSize: number): Promise<{ digest: Uint8Array, blocks: BlockDigests }> {
  const whole = createHash('sha256')
  const dataBlocks = Math.ceil(size / blockSize)
  const blocks = new Uint8Array(dataBlocks * DIGEST_LENGTH)
  const buffer = new Uint8Array(Math.min(blockSize, Math.max(size, 1)))
  for (let index = 0; index < dataBlocks; index++) {
    const start = index * blockSize
    const length = Math.min(blockSize, size - start)
    let filled = 0
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, start + filled)
      if (bytesRead === 0) throw new InputChangedError('the file shrank while it was being shared: share it again when nothing is writing to it')
      filled += bytesRead
    }
    const data = buffer.subarray(0, length)
    whole.update(data)
    blocks.set(createHash('sha256').update(data).digest(), index * DIGEST_LENGTH)
  }
  return { digest: new Uint8Array(whole.digest()), blocks }
}
