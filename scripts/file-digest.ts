/**
 * Random files and their SHA-256 digests, for the demo and the tests: what
 * was shared is compared byte for byte (by digest) with what was fetched.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, readdir } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'

const CHUNK = 1024 * 1024

/**
 * Write `size` random bytes (creating the folder); returns their SHA-256
 * (hex). A `marker` is written at the start of every chunk, for tests that
 * look for known plaintext where it must not be.
 */
export async function writeRandomFile (path: string, size: number, marker?: Uint8Array): Promise<string> {
  await mkdir(dirname(path), { recursive: true })
  const hash = createHash('sha256')
  const handle = await open(path, 'w')
  try {
    for (let written = 0; written < size;) {
      const chunk = randomBytes(Math.min(CHUNK, size - written))
      if (marker !== undefined && chunk.length >= marker.length) chunk.set(marker, 0)
      await handle.write(chunk)
      hash.update(chunk)
      written += chunk.length
    }
  } finally {
    await handle.close()
  }
  return hash.digest('hex')
}

/** SHA-256 (hex) of a file, read in chunks. */
export async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  const handle = await open(path, 'r')
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: CHUNK })) hash.update(chunk as Buffer)
  } finally {
    await handle.close().catch(() => {})
  }
  return hash.digest('hex')
}

/** Every file under `dir` as relative path → SHA-256, plus every folder (value "dir"), in name order. */
export async function treeDigest (dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const visit = async (path: string): Promise<void> => {
    for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name < b.name ? -1 : 1)) {
      const full = join(path, entry.name)
      if (entry.isDirectory()) {
        out[relative(dir, full)] = 'dir'
        await visit(full)
      } else {
        out[relative(dir, full)] = await sha256File(full)
      }
    }
  }
  await visit(dir)
  return out
}
