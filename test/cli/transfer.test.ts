import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exists, sha256File, tempDir, treeDigest, writeRandomFile } from '../helpers/files.js'
import { errorLine, MiB, startDaemon, veil, VeilProcess, waitForFile, type Daemon } from './helpers.js'

interface ShareJson { link: string, cid: string, size: number, replicas: number, replicasWanted: number, kind: string, files: number }
interface GetJson { path: string, size: number, bytesWritten: number, resumedBlocks: number, alreadyComplete: boolean, kind: string }

// Two storage nodes shared by every test in this file (each test uses its own repos and files).
let root: string
let s1: Daemon
let s2: Daemon

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'veil-cli-swarm-'))
  s1 = await startDaemon(join(root, 's1'), ['--storage', '1GB'], { cleanup: 'manual' })
  s2 = await startDaemon(join(root, 's2'), ['--storage', '1GB', '--bootstrap', s1.address], { cleanup: 'manual' })
}, 90_000)

afterAll(async () => {
  const results = await Promise.all([s1?.proc.stop(), s2?.proc.stop()])
  await rm(root, { recursive: true, force: true })
  for (const result of results) expect(result?.code).toBe(0)
}, 60_000)

async function shareJson (repo: string, path: string, extra: string[] = []): Promise<ShareJson> {
  const result = await veil(['--repo', repo, 'share', path, '--json', '--bootstrap', s1.address, ...extra])
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout) as ShareJson
}

describe('share and get across processes and repos', () => {
  it('a light client shares a file and a folder and leaves; another repo fetches both, byte-identical', async () => {
    const dir = await tempDir()
    const light = join(dir, 'light')
    const fetcher = join(dir, 'fetcher')
    const file = join(dir, 'clip.bin')
    const digest = await writeRandomFile(file, 3 * MiB + 1)
    const folder = join(dir, 'album')
    await mkdir(join(folder, 'inner'), { recursive: true })
    await writeFile(join(folder, 'empty.txt'), '')
    await writeFile(join(folder, 'notes.txt'), 'hello')
    await writeRandomFile(join(folder, 'inner', 'photo.bin'), 300 * 1024)

    const shared = await shareJson(light, file, ['--replicas', '2'])
    expect(shared).toMatchObject({ size: 3 * MiB + 1, replicas: 2, replicasWanted: 2, kind: 'file', files: 1 })
    expect(shared.link).toMatch(/^veil:\/\/b[a-z2-7]+#[A-Za-z0-9_-]{43}$/)
    const sharedFolder = await shareJson(light, folder, ['--replicas', '2'])
    expect(sharedFolder).toMatchObject({ kind: 'folder', files: 3, size: 300 * 1024 + 5, replicas: 2 })
    // The light client kept nothing: the storage nodes hold it all.
    const lightStatus = JSON.parse((await veil(['--repo', light, 'status', '--json'])).stdout) as { store: { blocks: number } }
    expect(lightStatus.store.blocks).toBe(0)
    // Human output: the link is the last line.
    const human = await veil(['--repo', light, 'share', join(folder, 'notes.txt'), '--bootstrap', s1.address, '--replicas', '1'])
    expect(human.code).toBe(0)
    expect(human.stdout.trim().split('\n').at(-1)).toMatch(/^veil:\/\//)

    const got = await veil(['--repo', fetcher, 'get', shared.link, '-o', join(dir, 'out.bin'), '--json', '--bootstrap', s1.address])
    expect(got.code, got.stderr).toBe(0)
    expect(JSON.parse(got.stdout)).toMatchObject({ path: join(dir, 'out.bin'), kind: 'file', size: 3 * MiB + 1, bytesWritten: 3 * MiB + 1, alreadyComplete: false })
    expect(await sha256File(join(dir, 'out.bin'))).toBe(digest)

    // No -o: ./<share name> in the working folder.
    const cwd = join(dir, 'here')
    await mkdir(cwd)
    const gotFolder = await veil(['--repo', fetcher, 'get', sharedFolder.link, '--bootstrap', s1.address], { cwd })
    expect(gotFolder.code, gotFolder.stderr).toBe(0)
    expect(gotFolder.stdout).toMatch(/^saved .*here\/album \(3 files/)
    expect(await treeDigest(join(cwd, 'album'))).toEqual(await treeDigest(folder))

    // -o - streams the bytes to stdout.
    const piped = await veil(['--repo', fetcher, 'get', shared.link, '-o', '-', '--bootstrap', s1.address])
    expect(piped.code, piped.stderr).toBe(0)
    expect(piped.stdoutBytes.equals(await readFile(file))).toBe(true)

    // ls: a folder's entries; a file's link is refused.
    const listed = await veil(['--repo', fetcher, 'ls', sharedFolder.link, '--json', '--bootstrap', s1.address])
    expect(listed.code, listed.stderr).toBe(0)
    const listing = JSON.parse(listed.stdout) as { name: string, entries: Array<{ name: string, kind: string, size: number, link: string }> }
    expect(listing.name).toBe('album')
    expect(listing.entries.map(e => [e.name, e.kind, e.size])).toEqual([['empty.txt', 'file', 0], ['inner', 'folder', 300 * 1024], ['notes.txt', 'file', 5]])
    const humanLs = await veil(['--repo', fetcher, 'ls', sharedFolder.link, '--bootstrap', s1.address])
    expect(humanLs.stdout.trim().split('\n').map(line => line.split(/\s+/).at(-1))).toEqual(['empty.txt', 'inner/', 'notes.txt'])
    const lsFile = await veil(['--repo', fetcher, 'ls', shared.link, '--bootstrap', s1.address])
    expect(lsFile.code).toBe(1)
    expect(errorLine(lsFile)).toBe('veil: this link is a file, not a folder: fetch it with `veil get <link>`')

    // An existing different file is refused unless --force; the same file is already complete.
    const other = join(dir, 'other.bin')
    await writeFile(other, 'something else')
    const refused = await veil(['--repo', fetcher, 'get', shared.link, '-o', other, '--bootstrap', s1.address])
    expect(refused.code).toBe(1)
    expect(errorLine(refused)).toMatch(/other\.bin already exists and is not this share: choose another path with -o, or pass --force to replace it/)
    expect(await readFile(other, 'utf8')).toBe('something else')
    const forced = await veil(['--repo', fetcher, 'get', shared.link, '-o', other, '--force', '--json', '--bootstrap', s1.address])
    expect(forced.code, forced.stderr).toBe(0)
    expect(await sha256File(other)).toBe(digest)
    const again = await veil(['--repo', fetcher, 'get', shared.link, '-o', other, '--json', '--bootstrap', s1.address])
    expect((JSON.parse(again.stdout) as GetJson).alreadyComplete).toBe(true)
  }, 150_000)

  it('through a running daemon: share keeps and serves it, get and ls go through the control API', async () => {
    const dir = await tempDir()
    const sharer = join(dir, 'sharer')
    const daemon = await startDaemon(sharer, ['--bootstrap', s1.address])
    const file = join(dir, 'report.bin')
    const digest = await writeRandomFile(file, 2 * MiB + 123)

    // Default 3 copies, only 2 storage nodes: a warning, exit 0.
    const result = await veil(['--repo', sharer, 'share', file, '--json'])
    expect(result.code, result.stderr).toBe(0)
    const shared = JSON.parse(result.stdout) as ShareJson
    expect(shared).toMatchObject({ replicas: 2, replicasWanted: 3 })
    expect(result.stderr).toMatch(/^veil: warning: only 2 of 3 copies were placed/m)
    const status = JSON.parse((await veil(['--repo', sharer, 'status', '--json'])).stdout) as { running: boolean, store: { blocks: number }, announced: number }
    expect(status.running).toBe(true)
    expect(status.store.blocks).toBeGreaterThan(2)
    expect(status.announced).toBeGreaterThan(0)

    // Fetched by someone else, through the swarm.
    const got = await veil(['--repo', join(dir, 'reader'), 'get', shared.link, '-o', join(dir, 'copy.bin'), '--bootstrap', daemon.address])
    expect(got.code, got.stderr).toBe(0)
    expect(await sha256File(join(dir, 'copy.bin'))).toBe(digest)
    // Through the daemon: to a path, to stdout, and a listing.
    const viaDaemon = await veil(['--repo', sharer, 'get', shared.link, '-o', join(dir, 'again.bin'), '--json'])
    expect(viaDaemon.code, viaDaemon.stderr).toBe(0)
    expect(await sha256File(join(dir, 'again.bin'))).toBe(digest)
    const streamed = await veil(['--repo', sharer, 'get', shared.link, '-o', '-'])
    expect(streamed.code, streamed.stderr).toBe(0)
    expect(streamed.stdoutBytes.equals(await readFile(file))).toBe(true)
    const refused = await veil(['--repo', sharer, 'get', shared.link, '-o', file.replace('report', 'missing-dir/report')])
    expect(refused.code).toBe(1)
    expect(errorLine(refused)).toMatch(/the folder .*missing-dir does not exist/)
    const ls = await veil(['--repo', sharer, 'ls', shared.link])
    expect(ls.code).toBe(1)
    expect(errorLine(ls)).toBe('veil: this link is a file, not a folder: fetch it with `veil get <link>`')
    const pinned = await veil(['--repo', sharer, 'pin', shared.link, '--json'])
    expect(pinned.code, pinned.stderr).toBe(0)
    expect(JSON.parse(pinned.stdout)).toMatchObject({ cid: shared.cid, pinned: true })

    expect((await daemon.proc.stop('SIGTERM')).code).toBe(0)
  }, 120_000)

  it('--convergent: the same file gives the same link within a repo, a different one from another repo; default shares are random', async () => {
    const dir = await tempDir()
    const file = join(dir, 'same.bin')
    await writeRandomFile(file, 100 * 1024)
    const [a1, a2, b1, r1, r2] = [
      await shareJson(join(dir, 'a'), file, ['--replicas', '1', '--convergent']),
      await shareJson(join(dir, 'a'), file, ['--replicas', '1', '--convergent']),
      await shareJson(join(dir, 'b'), file, ['--replicas', '1', '--convergent']),
      await shareJson(join(dir, 'a'), file, ['--replicas', '1']),
      await shareJson(join(dir, 'a'), file, ['--replicas', '1'])
    ]
    expect(a2.link).toBe(a1.link)
    expect(b1.cid).not.toBe(a1.cid)
    expect(r1.cid).not.toBe(r2.cid)
    expect((await stat(join(dir, 'a', 'convergence.secret'))).mode & 0o777).toBe(0o600)
    expect((await readFile(join(dir, 'a', 'convergence.secret'))).length).toBe(32)
  }, 90_000)

  it('get resumes after the fetching process is killed with SIGKILL', async () => {
    const dir = await tempDir()
    const file = join(dir, 'big.bin')
    const digest = await writeRandomFile(file, 32 * MiB)
    const shared = await shareJson(join(dir, 'light'), file, ['--replicas', '2'])
    const out = join(dir, 'big.out')
    const args = ['--repo', join(dir, 'fetcher'), 'get', shared.link, '-o', out, '--json', '--bootstrap', s1.address]

    const first = new VeilProcess(args)
    await waitForFile(`${out}.veil-state`)
    await first.kill()
    expect((await first.exited).signal).toBe('SIGKILL')
    expect(await exists(out)).toBe(false)
    expect(await exists(`${out}.veil-part`)).toBe(true)

    const second = await veil(args)
    expect(second.code, second.stderr).toBe(0)
    const result = JSON.parse(second.stdout) as GetJson
    expect(result.resumedBlocks).toBeGreaterThan(0)
    expect(result.bytesWritten).toBe(32 * MiB - result.resumedBlocks * MiB)
    expect(await sha256File(out)).toBe(digest)
    expect(await exists(`${out}.veil-part`)).toBe(false)
    expect(await exists(`${out}.veil-state`)).toBe(false)

    // A reader that leaves early (`veil get … -o - | head`): exit 1 with a clear line, never a hang.
    for (let attempt = 0; attempt < 2; attempt++) {
      const piped = new VeilProcess(['--repo', join(dir, 'fetcher'), 'get', shared.link, '-o', '-', '--bootstrap', s1.address])
      await piped.waitFor(/[\s\S]/)
      piped.child.stdout!.destroy()
      const result = await piped.exited
      expect(result.code, result.stderr).toBe(1)
      expect(errorLine(result)).toBe('veil: the output was closed before the share was fully written (for example by `head`)')
    }
  }, 120_000)
})
