import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exists, sha256File, tempDir, writeRandomFile } from '../helpers/files.js'
import { errorLine, MiB, startDaemon, veil, type Daemon } from './helpers.js'

/*
 * `veil publish`, `veil keys`, `share --password` and `share --expires`
 * from the command line, against two storage nodes (each test uses its own
 * repos and files).
 */

let root: string
let s1: Daemon
let s2: Daemon

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'veil-cli-names-'))
  s1 = await startDaemon(join(root, 's1'), ['--storage', '1GB'], { cleanup: 'manual', env: { VEIL_TEST_MODE: '1' } })
  s2 = await startDaemon(join(root, 's2'), ['--storage', '1GB', '--bootstrap', s1.address], { cleanup: 'manual', env: { VEIL_TEST_MODE: '1' } })
}, 90_000)

afterAll(async () => {
  const results = await Promise.all([s1?.proc.stop(), s2?.proc.stop()])
  await rm(root, { recursive: true, force: true })
  for (const result of results) expect(result?.code).toBe(0)
}, 60_000)

/** Units the two storage nodes hold in all. */
async function unitsHeld (): Promise<number> {
  let units = 0
  for (const node of [s1, s2]) units += (JSON.parse((await veil(['--repo', node.repo, 'status', '--json'])).stdout) as { storage: { units: number } }).storage.units
  return units
}

interface PublishJson { link: string, name: string, sequence: number, created: boolean, recordHolders: number, share: { cid: string, replicas: number } }
interface GetJson { sequence: number | null, cid: string, size: number }

describe('veil publish and veil keys', () => {
  it('publishes, updates three times under one name: each fresh fetch gets the newest version and says which', async () => {
    const dir = await tempDir()
    const me = join(dir, 'me')
    const file = join(dir, 'notes.bin')
    let link: string | undefined
    for (let version = 1; version <= 4; version++) {
      const digest = await writeRandomFile(file, 200_000 + version)
      const published = await veil(['--repo', me, 'publish', file, '--as', 'notes', '--replicas', '2', '--json', '--bootstrap', s1.address])
      expect(published.code, published.stderr).toBe(0)
      const doc = JSON.parse(published.stdout) as PublishJson
      expect(doc).toMatchObject({ name: 'notes', sequence: version, created: version === 1 })
      expect(doc.share.replicas).toBe(2)
      expect(doc.recordHolders).toBeGreaterThanOrEqual(2)
      expect(doc.link).toMatch(/^veil:\/\/bafz[a-z2-7]+#[A-Za-z0-9_-]{43}$/)
      link ??= doc.link
      expect(doc.link).toBe(link)
      // A fresh repo each time: nothing remembered.
      const out = join(dir, `got-${version}.bin`)
      const got = await veil(['--repo', join(dir, `fetcher-${version}`), 'get', '-', '-o', out, '--json', '--bootstrap', s1.address], { input: `${link}\n` })
      expect(got.code, got.stderr).toBe(0)
      expect(JSON.parse(got.stdout)).toMatchObject({ sequence: version, cid: doc.share.cid, size: 200_000 + version } satisfies Partial<GetJson>)
      expect(await sha256File(out)).toBe(digest)
    }
    // Human output: the mutable link is the last line; get says which version.
    const human = await veil(['--repo', me, 'publish', file, '--as', 'notes', '--replicas', '1', '--bootstrap', s1.address])
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/version 5/)
    expect(human.stdout.trim().split('\n').at(-1)).toBe(link)
    const got = await veil(['--repo', join(dir, 'human'), 'get', '-', '-o', join(dir, 'h.bin'), '--bootstrap', s1.address], { input: `${link}\n` })
    expect(got.stdout).toMatch(/version 5/)
    // ls and pin accept it too (ls: a file's link is refused as before, after resolving).
    const ls = await veil(['--repo', join(dir, 'human'), 'ls', '-', '--bootstrap', s1.address], { input: `${link}\n` })
    expect(errorLine(ls)).toMatch(/is a file, not a folder/)
    // Eleven CLI processes: 18.8 s with one extra busy core, over 30 s at load 16.
  }, 90_000)

  it('keeps the key in keys/<name> (0600); ls shows it; export and import move it to another repo, which continues the sequence', async () => {
    const dir = await tempDir()
    const a = join(dir, 'a')
    const b = join(dir, 'b')
    const file = join(dir, 'site.txt')
    await writeFile(file, 'v1')
    const first = JSON.parse((await veil(['--repo', a, 'publish', file, '--replicas', '1', '--json', '--bootstrap', s1.address])).stdout) as PublishJson
    expect(first.name).toBe('site.txt')
    expect((await stat(join(a, 'keys', 'site.txt'))).mode & 0o777).toBe(0o600)
    const listed = await veil(['--repo', a, 'keys', 'ls', '--json'])
    expect(JSON.parse(listed.stdout)).toMatchObject({ keys: [{ name: 'site.txt', link: first.link, sequence: 1 }] })
    const exported = join(dir, 'site.key')
    expect((await veil(['--repo', a, 'keys', 'export', 'site.txt', '-o', exported])).code).toBe(0)
    expect((await stat(exported)).mode & 0o777).toBe(0o600)
    // Never from an argument.
    const text = (await readFile(exported, 'utf8')).trim()
    const refused = await veil(['--repo', b, 'keys', 'import', text])
    expect(refused.code).toBe(2)
    expect(errorLine(refused)).toMatch(/never as an argument/)
    const imported = await veil(['--repo', b, 'keys', 'import', '-', '--as', 'site', '--json'], { input: text + '\n' })
    expect(imported.code, imported.stderr).toBe(0)
    expect(JSON.parse(imported.stdout)).toMatchObject({ name: 'site', link: first.link, sequence: 1 })
    await writeFile(file, 'v2 from the other machine')
    const second = JSON.parse((await veil(['--repo', b, 'publish', file, '--as', 'site', '--replicas', '1', '--json', '--bootstrap', s1.address])).stdout) as PublishJson
    expect(second).toMatchObject({ link: first.link, sequence: 2, created: false })
    const got = await veil(['--repo', join(dir, 'c'), 'get', '-', '-o', join(dir, 'out.txt'), '--json', '--bootstrap', s1.address], { input: first.link + '\n' })
    expect(JSON.parse(got.stdout).sequence).toBe(2)
    expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('v2 from the other machine')
    // A bad name says what to do.
    const bad = await veil(['--repo', a, 'publish', file, '--as', '../x', '--bootstrap', s1.address])
    expect(bad.code).toBe(2)
  })
})

describe('share --password', () => {
  it('round-trips with the password from a file or stdin; a wrong password fails clearly and writes nothing', async () => {
    const dir = await tempDir()
    const file = join(dir, 'secret.bin')
    const digest = await writeRandomFile(file, MiB + 3)
    const pw = join(dir, 'pw.txt')
    await writeFile(pw, 'correct horse battery staple\n')
    const shared = await veil(['--repo', join(dir, 'me'), 'share', file, '--password', '--password-file', pw, '--replicas', '1', '--json', '--bootstrap', s1.address])
    expect(shared.code, shared.stderr).toBe(0)
    const doc = JSON.parse(shared.stdout) as { link: string, password: boolean, cid: string }
    expect(doc.password).toBe(true)
    expect(doc.link).toMatch(/^veil:\/\/bafy[a-z2-7]+#pw1\.m65536t3p1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{64}$/)
    // The link alone opens nothing: no key in it.
    expect(shared.stdout).not.toMatch(/#[A-Za-z0-9_-]{43}"/)

    const out = join(dir, 'out.bin')
    const got = await veil(['--repo', join(dir, 'you'), 'get', doc.link, '-o', out, '--bootstrap', s1.address], { input: 'correct horse battery staple\n' })
    expect(got.code, got.stderr).toBe(0)
    expect(await sha256File(out)).toBe(digest)

    const fromFile = await veil(['--repo', join(dir, 'you'), 'get', doc.link, '-o', join(dir, 'again.bin'), '--password-file', pw, '--bootstrap', s1.address])
    expect(fromFile.code, fromFile.stderr).toBe(0)
    await writeFile(pw, 'correct horse battery stapler\n')
    const bad = await veil(['--repo', join(dir, 'you'), 'get', doc.link, '-o', join(dir, 'bad.bin'), '--password-file', pw, '--bootstrap', s1.address])
    expect(bad.code).toBe(1)
    expect(errorLine(bad)).toMatch(/^veil: wrong password/)
    expect(await exists(join(dir, 'bad.bin'))).toBe(false)
    expect(await exists(join(dir, 'bad.bin.veil-part'))).toBe(false)
    // The link from stdin and no password source: a usage error saying how.
    const noSource = await veil(['--repo', join(dir, 'you'), 'get', '-', '-o', join(dir, 'x.bin'), '--bootstrap', s1.address], { input: doc.link + '\n' })
    expect(noSource.code).toBe(2)
    expect(errorLine(noSource)).toMatch(/--password-file/)
  })
})

describe('share --expires', () => {
  it('records the expiry: share says what it cannot do, storage nodes delete the share then, get refuses it', async () => {
    const dir = await tempDir()
    const me = join(dir, 'me')
    // Through the sharer's own daemon, which keeps a copy: the fetch below reaches the share and refuses it itself.
    const daemon = await startDaemon(me, ['--bootstrap', s1.address], { env: { VEIL_TEST_MODE: '1' } })
    const file = join(dir, 'soon.txt')
    await writeFile(file, 'here for a few seconds')
    const unitsBefore = await unitsHeld()
    const started = Date.now()
    const shared = await veil(['--repo', me, 'share', file, '--expires', '8s', '--replicas', '1'])
    expect(shared.code, shared.stderr).toBe(0)
    // At least the one copy asked for: under load a PUT that timed out on one node may have landed there
    // after the sharer placed the copy on the other (seen once: both held it). Both must go at the expiry.
    expect(await unitsHeld()).toBeGreaterThanOrEqual(unitsBefore + 1)
    expect(shared.stdout).toMatch(/expires .*: storage nodes delete it then and Veil refuses to open it; anyone who fetched it before keeps their copy/)
    const link = shared.stdout.trim().split('\n').at(-1)!
    const before = await veil(['--repo', join(dir, 'you'), 'get', link, '-o', join(dir, 'before.txt'), '--bootstrap', daemon.address])
    expect(before.code, before.stderr).toBe(0)
    // Wait for the expiry itself (the clock is the event).
    await new Promise(resolve => setTimeout(resolve, Math.max(0, started + 8_100 - Date.now())))
    const after = await veil(['--repo', join(dir, 'you2'), 'get', link, '-o', join(dir, 'after.txt'), '--bootstrap', daemon.address])
    expect(after.code).toBe(1)
    expect(errorLine(after)).toMatch(/^veil: this share expired on /)
    expect(await exists(join(dir, 'after.txt'))).toBe(false)
    // The storage node that took a copy deleted it at the expiry, on its own timer (room to spare).
    const deadline = Date.now() + 20_000
    while (await unitsHeld() > unitsBefore && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 250))
    expect(await unitsHeld()).toBe(unitsBefore)
    // A bad duration is a usage error.
    expect((await veil(['--repo', me, 'share', file, '--expires', 'soon'])).code).toBe(2)
  }, 60_000)
})
