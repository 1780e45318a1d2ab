import type { FileHandle } from 'node:fs/promises'
import { createHash, type Hash } from 'node:crypto'
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

/**
 * Read a file as padded plaintext blocks, one fresh buffer per block, with
 * one read ahead so disk reads overlap sealing. Fails with InputChangedError
 * if the file is shorter or longer than its stat said when the share began.
 * When `digest` is given, every data byte also goes through it (convergent
 * mode re-checks the content hash it derived the key from).
 */
export async function * readPaddedBlocks (handle: FileHandle, input: PaddedBlocksInput, digest?: Hash): AsyncGenerator<Uint8Array> {
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
    digest?.update(block.subarray(0, dataLength))
    return block
  }

  let next = blockCount > 0 ? readBlock(0) : undefined
  for (let index = 0; index < blockCount; index++) {
    const current = await next!
    next = index + 1 < blockCount ? readBlock(index + 1) : undefined
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

/** SHA-256 of a whole file, streamed (convergent mode's first pass). */
export async function hashFile (handle: FileHandle, size: number, chunk: number): Promise<Uint8Array> {
  const hash = createHash('sha256')
  const buffer = new Uint8Array(chunk)
  let position = 0
  while (position < size) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(chunk, size - position), position)
    if (bytesRead === 0) throw new InputChangedError('the file shrank while it was being shared: share it again when nothing is writing to it')
    hash.update(buffer.subarray(0, bytesRead))
    position += bytesRead
  }
  return new Uint8Array(hash.digest())
}
