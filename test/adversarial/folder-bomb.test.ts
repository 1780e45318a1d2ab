import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { formatLink, importBytes, type ShareResult } from '../../src/index.js'
import { startNode, addressOf } from '../helpers/swarm.js'
import { tempDir, exists, treeDigest } from '../helpers/files.js'
import { rawFolder } from '../helpers/folders.js'
import { expectWithinBudget, startTarget } from './harness.js'

/*
 * A folder bomb: folder listings that name the same child again and again
 * (a DAG), so a few KB of blocks stand for a million files. Before the
 * limits, 46 KB of blocks made `veil get` write 9,200+ files before it was
 * stopped. The target must refuse it before writing anything, then still
 * fetch an honest folder.
 */
describe('a folder bomb', () => {
  it('of a million files in a few KB of blocks is refused before anything is written; an honest folder still fetches', async () => {
    const bootstrap = await startNode()
    const holder = await startNode({ bootstrap: [addressOf(bootstrap)] })
    const file = await importBytes(new TextEncoder().encode('boom!'), holder.store, { name: 'f.txt' })
    const roots: ShareResult[] = [file]
    let below = file
    for (let level = 0; level < 3; level++) {
      const entries = Array.from({ length: 100 }, (_, i) => ({ name: `e${String(i).padStart(3, '0')}`, kind: level === 0 ? 'file' as const : 'folder' as const, size: 5 * 100 ** level, cid: below.cid, key: below.key }))
      below = await rawFolder(entries, holder.store, `level${level}`)
      roots.push(below)
    }
    for (const root of roots) await holder.announcer.announce(root.cid)
    const bombBytes = roots.reduce((sum, root) => sum + root.storedBytes, 0)

    const dir = await tempDir()
    const honest = join(dir, 'honest')
    await mkdir(join(honest, 'sub'), { recursive: true })
    await writeFile(join(honest, 'a.txt'), 'hello')
    await writeFile(join(honest, 'sub', 'b.txt'), 'world')
    const honestShare = await holder.share(honest, { replicas: 0 })

    const target = await startTarget({ bootstrap: addressOf(bootstrap) })
    await target.reset()
    const output = join(dir, 'bomb-out')
    const reply = await target.fetch(formatLink({ cid: below.cid, key: below.key }), output)
    await expectWithinBudget(target, `folder bomb: 1,000,000 files in ${Math.round(bombBytes / 1024)} KB of blocks`, { fetchMs: Math.round(reply.ms), error: reply.error?.name })
    expect(bombBytes).toBeLessThan(64 * 1024)
    expect(reply.ok).toBe(false)
    expect(reply.error).toMatchObject({ name: 'FolderLimitError', message: expect.stringContaining('more than 100000 files and folders') })
    expect(reply.ms).toBeLessThan(10_000)
    expect(await exists(output)).toBe(false)

    const fetched = join(dir, 'honest-out')
    const again = await target.fetch(honestShare.link, fetched)
    expect(again).toMatchObject({ ok: true, files: 2 })
    expect(await treeDigest(fetched)).toEqual(await treeDigest(honest))
    expect((await readdir(dir)).includes('bomb-out')).toBe(false)
  }, 60_000)
})
