import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'

/** A fresh temp folder, removed when the current test finishes. */
export async function tempDir (prefix = 'veil-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  onTestFinished(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

export { writeRandomFile, sha256File, treeDigest } from '../../scripts/file-digest.js'

export async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}

export { readFile } from 'node:fs/promises'
