import { mkdtemp, rm, open, readFile, readdir, stat } from 'node:fs/promises'
import { createHash, randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { onTestFinished } from 'vitest'

/** A fresh temp folder, removed when the current test finishes. */
export async function tempDir (prefix = 'veil-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  onTestFinished(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

/** Write `size` random bytes in 1 MiB chunks; returns their SHA-256 (hex). */
export async function writeRandomFile (path: string, size: number, marker?: Uint8Array): Promise<string> {
  const hash = createHash('sha256')
  const handle = await open(path, 'w')
  try {
    let written = 0
    while (written < size) {
      const chunk = randomBytes(Math.min(1024 * 1024, size - written))
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

export async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  const handle = await open(path, 'r')
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer)
  } finally {
    await handle.close().catch(() => {})
  }
  return hash.digest('hex')
}

/** Every file under `dir` as relative path → SHA-256, plus every folder (value "dir"). */
export async function treeDigest (dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  async function visit (path: string): Promise<void> {
    for (const entry of await readdir(path, { withFileTypes: true })) {
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

export async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}

export { readFile }
