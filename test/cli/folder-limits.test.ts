import { describe, it, expect } from 'vitest'
import { mkdir, writeFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/files.js'
import { errorLine, startDaemon, veil } from './helpers.js'

describe('veil get --max-entries / --max-depth / --max-size', () => {
  it('says what a folder holds, refuses one over a limit through the daemon or a temporary node, and rejects bad values', async () => {
    const dir = await tempDir()
    const storage = await startDaemon(join(dir, 'storage'), ['--storage', '1GB'])
    const folder = join(dir, 'album')
    await mkdir(join(folder, 'inner'), { recursive: true })
    await writeFile(join(folder, 'a.txt'), 'a'.repeat(1000))
    await writeFile(join(folder, 'b.txt'), 'b'.repeat(1000))
    await writeFile(join(folder, 'inner', 'c.txt'), 'c'.repeat(1000))
    const shared = await veil(['--repo', join(dir, 'light'), 'share', folder, '--json', '--replicas', '1', '--bootstrap', storage.address])
    expect(shared.code, shared.stderr).toBe(0)
    const link = (JSON.parse(shared.stdout) as { link: string }).link

    // Through the storage node's daemon (its repo), then through a temporary node (a new repo).
    for (const repo of [storage.repo, join(dir, 'fresh')]) {
      const out = join(dir, `too-many-${repo === storage.repo ? 'daemon' : 'temp'}`)
      const refused = await veil(['--repo', repo, 'get', link, '-o', out, '--max-entries', '3', '--bootstrap', storage.address])
      expect(refused.code, refused.stderr).toBe(1)
      expect(errorLine(refused)).toMatch(/more than 3 files and folders.*--max-entries/)
      expect(await readdir(out).catch(() => 'absent')).toBe('absent')
      const small = await veil(['--repo', repo, 'get', link, '-o', out + '-size', '--max-size', '2KB', '--bootstrap', storage.address])
      expect(errorLine(small)).toMatch(/more than 2048 bytes/)
    }
    const got = await veil(['--repo', join(dir, 'fresh'), 'get', link, '-o', join(dir, 'ok'), '--max-entries', '4', '--max-depth', '1', '--bootstrap', storage.address])
    expect(got.code, got.stderr).toBe(0)
    expect(got.stderr).toMatch(/the folder holds 3 files in 1 folders, 2\.9\d* KiB/)
    expect((await readdir(join(dir, 'ok'))).sort()).toEqual(['a.txt', 'b.txt', 'inner'])

    for (const bad of [['--max-entries', 'lots'], ['--max-depth', '0'], ['--max-size', '12zz']]) {
      const usage = await veil(['--repo', join(dir, 'fresh'), 'get', link, ...bad])
      expect(usage.code, bad.join(' ')).toBe(2)
    }
  }, 90_000)
})
