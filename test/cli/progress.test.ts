/**
 * Issue 14, bugs 3 and 4: share shows placement progress after sealing (bytes
 * pushed, rate, units placed), also through a running daemon; a resumed get
 * starts its progress at the resumed position. `--progress` prints the bars
 * as plain lines when stderr is not a terminal, so these tests read them.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256File, tempDir, writeRandomFile } from '../helpers/files.js'
import { MiB, startDaemon, veil, VeilProcess, waitForFile, type Daemon } from './helpers.js'

let root: string
let storage: Daemon

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'veil-cli-progress-'))
  storage = await startDaemon(join(root, 'storage'), ['--storage', '1GiB'], { cleanup: 'manual' })
}, 90_000)

afterAll(async () => {
  const stopped = await storage?.proc.stop()
  await rm(root, { recursive: true, force: true })
  expect(stopped?.code).toBe(0)
}, 60_000)

const PERCENT = /: (\d+)% /

function lines (stderr: string, label: RegExp): string[] {
  return stderr.split('\n').filter(line => label.test(line))
}

describe('progress on share and get', () => {
  it('share: sealing, then placing copies with bytes pushed, rate and units placed, ending at 100 %', async () => {
    const dir = await tempDir()
    const file = join(dir, 'video.bin')
    await writeRandomFile(file, 6 * MiB + 3)
    const result = await veil(['--repo', join(dir, 'light'), 'share', file, '--replicas', '1', '--progress', '--bootstrap', storage.address])
    expect(result.code, result.stderr).toBe(0)
    const sealing = lines(result.stderr, /^sealing video\.bin: /)
    expect(sealing.at(-1)).toMatch(/: 100% 6\.0 MiB\/6\.0 MiB [\d.]+ (KiB|MiB|GiB)\/s/)
    const placing = lines(result.stderr, /^placing copies: /)
    expect(placing.length).toBeGreaterThan(0)
    // Every copy's bytes: at least the file (sealing adds tags and padding), at most its padded size plus 13 %.
    const last = placing.at(-1)!
    expect(last).toMatch(/^placing copies: 100% [\d.]+ MiB\/[\d.]+ MiB [\d.]+ (B|KiB|MiB|GiB)\/s, 1\/1 units placed \(1 copy each\)$/)
    const pushed = Number(/100% ([\d.]+) MiB\//.exec(last)![1])
    expect(pushed).toBeGreaterThanOrEqual(6)
    expect(pushed).toBeLessThan(6.8)
    // Percentages never go backwards.
    const percents = placing.map(line => Number(PERCENT.exec(line)?.[1] ?? 0))
    expect([...percents].sort((a, b) => a - b)).toEqual(percents)
    // Without --progress (stderr is not a terminal) nothing is drawn; --no-progress never draws.
    const quiet = await veil(['--repo', join(dir, 'light'), 'share', file, '--replicas', '1', '--no-progress', '--bootstrap', storage.address])
    expect(quiet.code).toBe(0)
    expect(quiet.stderr).toBe('')
  }, 90_000)

  it('share through a running daemon relays the placement progress; pin and unpin read the link from stdin or a file', async () => {
    const dir = await tempDir()
    const daemon = await startDaemon(join(dir, 'node'), ['--bootstrap', storage.address])
    const file = join(dir, 'doc.bin')
    await writeRandomFile(file, 3 * MiB)
    const result = await veil(['--repo', daemon.repo, 'share', file, '--replicas', '1', '--progress', '--json'])
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ replicas: 1 })
    expect(lines(result.stderr, /^placing copies: /).at(-1)).toMatch(/: 100% .*, 1\/1 units placed \(1 copy each\)$/)
    // pin and unpin take the link from stdin or a file too (issue 14: the link never has to be an argument).
    const { link, cid } = JSON.parse(result.stdout) as { link: string, cid: string }
    const pinned = await veil(['--repo', daemon.repo, 'pin', '-', '--json'], { input: link })
    expect(pinned.code, pinned.stderr).toBe(0)
    expect(JSON.parse(pinned.stdout)).toMatchObject({ cid, pinned: true })
    await writeFile(join(dir, 'link.txt'), link)
    const unpinned = await veil(['--repo', daemon.repo, 'unpin', '--link-file', join(dir, 'link.txt'), '--json'])
    expect(unpinned.code, unpinned.stderr).toBe(0)
    expect(JSON.parse(unpinned.stdout)).toMatchObject({ cid, pinned: false })
    expect((await daemon.proc.stop()).code).toBe(0)
  }, 90_000)

  it('a resumed get starts its progress at the resumed position, not at 0 %', async () => {
    const dir = await tempDir()
    const file = join(dir, 'big.bin')
    const digest = await writeRandomFile(file, 32 * MiB)
    const shared = await veil(['--repo', join(dir, 'light'), 'share', file, '--replicas', '1', '--json', '--bootstrap', storage.address])
    expect(shared.code, shared.stderr).toBe(0)
    const { link } = JSON.parse(shared.stdout) as { link: string }
    const out = join(dir, 'big.out')
    const args = ['--repo', join(dir, 'fetcher'), 'get', '--link-file', join(dir, 'link.txt'), '-o', out, '--bootstrap', storage.address]
    await writeFile(join(dir, 'link.txt'), link)

    const first = new VeilProcess(args)
    await waitForFile(`${out}.veil-state`)
    await first.kill()

    const second = await veil([...args, '--progress', '--json'])
    expect(second.code, second.stderr).toBe(0)
    const { resumedBlocks } = JSON.parse(second.stdout) as { resumedBlocks: number }
    expect(resumedBlocks).toBeGreaterThan(0)
    const fetching = lines(second.stderr, /^fetching big\.bin: /)
    expect(fetching.length).toBeGreaterThan(0)
    // The first line already shows what the first run fetched; the last is complete.
    expect(Number(PERCENT.exec(fetching[0]!)![1])).toBe(Math.floor(100 * resumedBlocks / 32))
    expect(fetching.at(-1)).toMatch(/: 100% 32\.0 MiB\/32\.0 MiB /)
    expect(await sha256File(out)).toBe(digest)
  }, 120_000)
})
