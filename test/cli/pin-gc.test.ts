import { describe, it, expect } from 'vitest'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir, treeDigest, writeRandomFile } from '../helpers/files.js'
import { errorLine, startDaemon, veil } from './helpers.js'

const KiB = 1024

interface Status { store: { blocks: number, bytes: number } }

describe('pin, pins, unpin and gc', () => {
  it('pinning a folder link keeps every file of it on the node; pins lists it once; unpin says when nothing was pinned; gc frees what nothing keeps', async () => {
    const dir = await tempDir()
    const sharer = await startDaemon(join(dir, 'sharer'))
    const keeper = await startDaemon(join(dir, 'keeper'), ['--bootstrap', sharer.address])
    const folder = join(dir, 'album')
    await mkdir(join(folder, 'inner'), { recursive: true })
    await writeRandomFile(join(folder, 'a.bin'), 300 * KiB)
    await writeRandomFile(join(folder, 'inner', 'b.bin'), 700 * KiB)
    await writeFile(join(folder, 'notes.txt'), 'hello')
    const shared = await veil(['--repo', sharer.repo, 'share', folder, '--replicas', '0', '--json'])
    expect(shared.code, shared.stderr).toBe(0)
    const { link, cid } = JSON.parse(shared.stdout) as { link: string, cid: string }

    const pinned = await veil(['--repo', keeper.repo, 'pin', link, '--json'])
    expect(pinned.code, pinned.stderr).toBe(0)
    // The folder, its sub-folder and its three files: five shares.
    expect(JSON.parse(pinned.stdout)).toMatchObject({ cid, shares: 5, pinned: true, bytes: expect.any(Number) })
    expect((JSON.parse(pinned.stdout) as { bytes: number }).bytes).toBeGreaterThan(1000 * KiB)
    expect(JSON.parse((await veil(['--repo', keeper.repo, 'pins', '--json'])).stdout)).toEqual({ pins: [cid] })

    // The sharer goes away: a new client fetches the whole folder from the keeper alone.
    await sharer.proc.stop()
    const got = await veil(['--repo', join(dir, 'reader'), 'get', link, '-o', join(dir, 'copy'), '--bootstrap', keeper.address])
    expect(got.code, got.stderr).toBe(0)
    expect(await treeDigest(join(dir, 'copy'))).toEqual(await treeDigest(folder))

    // Nothing to collect while it is pinned.
    expect(JSON.parse((await veil(['--repo', keeper.repo, 'gc', '--json'])).stdout)).toMatchObject({ blocks: 0 })
    const unpinned = await veil(['--repo', keeper.repo, 'unpin', link, '--json'])
    expect(unpinned.code, unpinned.stderr).toBe(0)
    expect(JSON.parse(unpinned.stdout)).toMatchObject({ cid, shares: 5, pinned: false })
    const again = await veil(['--repo', keeper.repo, 'unpin', link])
    expect(again.code).toBe(1)
    expect(errorLine(again)).toMatch(/is not pinned on this node, so nothing was unpinned/)
    const freed = await veil(['--repo', keeper.repo, 'gc'])
    expect(freed.code, freed.stderr).toBe(0)
    expect(freed.stdout).toMatch(/^removed \d+ blocks, freed (1(\.\d+)? MiB|10\d\d(\.\d)? KiB)/)
    expect(JSON.parse((await veil(['--repo', keeper.repo, 'status', '--json'])).stdout) as Status).toMatchObject({ store: { blocks: 0 } })
  }, 120_000)

  it('a share that no storage node took leaves sealed blocks in a light client\'s repo; gc (no node running) removes them', async () => {
    const dir = await tempDir()
    const peer = await startDaemon(join(dir, 'peer'))
    const light = join(dir, 'light')
    await writeRandomFile(join(dir, 'f.bin'), 2 * 1024 * KiB)
    const failed = await veil(['--repo', light, 'share', join(dir, 'f.bin'), '--bootstrap', peer.address])
    expect(failed.code).toBe(1)
    const left = JSON.parse((await veil(['--repo', light, 'status', '--json'])).stdout) as Status
    expect(left.store.blocks).toBeGreaterThan(0)
    const gc = await veil(['--repo', light, 'gc', '--json'])
    expect(gc.code, gc.stderr).toBe(0)
    expect(JSON.parse(gc.stdout)).toEqual({ blocks: left.store.blocks, bytes: left.store.bytes, kept: 0 })
    expect((JSON.parse((await veil(['--repo', light, 'status', '--json'])).stdout) as Status).store.blocks).toBe(0)
  }, 60_000)
})
