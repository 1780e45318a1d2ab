/**
 * Issue 14, links as people use them: a path inside a folder link, `ls -r`,
 * a folder to stdout as tar, `-o <existing folder>`, and the link read from
 * stdin or a file instead of the command line.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exists, sha256File, tempDir, treeDigest, writeRandomFile } from '../helpers/files.js'
import QRCode from 'qrcode'
import { errorLine, MiB, startDaemon, veil, VeilProcess, type Daemon } from './helpers.js'

interface ListJson { cid: string, name: string, entries: Array<{ name: string, path: string, kind: string, size: number, link: string }> }

let root: string
let storage: Daemon
/** A name past ustar's 100 bytes, not ASCII: the tar stream needs a pax header for it. */
const LONG = `long-é${'x'.repeat(120)}.txt`
/** A folder shared once for every test: album/{empty, LONG, notes.txt, photos/2024/a b.jpg, photos/2024/b.jpg}. */
let album: string
let link: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'veil-cli-links-'))
  storage = await startDaemon(join(root, 'storage'), ['--storage', '1GiB'], { cleanup: 'manual' })
  album = join(root, 'album')
  await mkdir(join(album, 'photos', '2024'), { recursive: true })
  await writeFile(join(album, 'notes.txt'), 'hello')
  await writeFile(join(album, 'empty'), '')
  await writeFile(join(album, LONG), 'long name')
  await writeRandomFile(join(album, 'photos', '2024', 'a b.jpg'), 2 * MiB + 5)
  await writeRandomFile(join(album, 'photos', '2024', 'b.jpg'), 1000)
  const shared = await new VeilProcess(['--repo', join(root, 'sharer'), 'share', album, '--replicas', '1', '--json', '--bootstrap', storage.address], { cleanup: 'manual' }).exited
  expect(shared.code, shared.stderr).toBe(0)
  link = (JSON.parse(shared.stdout) as { link: string }).link
}, 90_000)

afterAll(async () => {
  const stopped = await storage?.proc.stop()
  await rm(root, { recursive: true, force: true })
  expect(stopped?.code).toBe(0)
}, 60_000)

/** The link with a path inside the share: veil://<cid>/<a>/<b>#<key>. */
function withPath (text: string, ...names: string[]): string {
  const [body, key] = text.split('#')
  return `${body!}${names.map(n => '/' + encodeURIComponent(n)).join('')}#${key!}`
}

function args (repo: string, ...rest: string[]): string[] {
  return ['--repo', repo, ...rest, '--bootstrap', storage.address]
}

describe('links with paths, trees and tar', () => {
  it('get and ls follow a path inside a folder link', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'repo')
    const photo = withPath(link, 'photos', '2024', 'a b.jpg')
    expect(photo).toContain('/photos/2024/a%20b.jpg#')
    const got = await veil(args(repo, 'get', photo, '--json'), { cwd: dir })
    expect(got.code, got.stderr).toBe(0)
    expect(JSON.parse(got.stdout)).toMatchObject({ path: join(dir, 'a b.jpg'), name: 'a b.jpg', kind: 'file', size: 2 * MiB + 5 })
    expect(await sha256File(join(dir, 'a b.jpg'))).toBe(await sha256File(join(album, 'photos', '2024', 'a b.jpg')))

    // A folder inside the share: listed, and fetched as that folder.
    const listed = await veil(args(repo, 'ls', withPath(link, 'photos', '2024'), '--json'))
    expect(listed.code, listed.stderr).toBe(0)
    expect((JSON.parse(listed.stdout) as ListJson).entries.map(e => e.name)).toEqual(['a b.jpg', 'b.jpg'])
    const sub = await veil(args(repo, 'get', withPath(link, 'photos'), '-o', join(dir, 'pics')))
    expect(sub.code, sub.stderr).toBe(0)
    expect(await treeDigest(join(dir, 'pics'))).toEqual(await treeDigest(join(album, 'photos')))

    // A path the share does not have, or that runs through a file: exit 1, one line, no key.
    const missing = await veil(args(repo, 'get', withPath(link, 'photos', 'nope.jpg')))
    expect(missing.code).toBe(1)
    expect(errorLine(missing)).toMatch(/^veil: "photos" has no entry "nope\.jpg": list it with `veil ls`/)
    const through = await veil(args(repo, 'ls', withPath(link, 'notes.txt', 'x')))
    expect(through.code).toBe(1)
    expect(errorLine(through)).toMatch(/"notes\.txt" is a file, so the path cannot go on to "x"/)
    for (const result of [missing, through]) expect(result.stderr).not.toContain(link.split('#')[1]!)
    const dots = await veil(args(repo, 'get', withPath(link, 'photos').replace('/photos#', '/photos/..#')))
    expect(dots.code).toBe(1)
    expect(errorLine(dots)).toMatch(/name 2 of the path in the link is "\.\."/)
  }, 90_000)

  it('ls -r lists the whole tree, each entry with its path', async () => {
    const dir = await tempDir()
    const human = await veil(args(join(dir, 'repo'), 'ls', '-r', link))
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout.trim().split('\n').map(line => line.replace(/^\S+\s+\S+ \S+\s+/, ''))).toEqual([
      'empty', LONG, 'notes.txt', 'photos/', 'photos/2024/', 'photos/2024/a b.jpg', 'photos/2024/b.jpg'
    ])
    const json = JSON.parse((await veil(args(join(dir, 'repo'), 'ls', '--recursive', link, '--json'))).stdout) as ListJson
    expect(json.entries.map(e => [e.path, e.kind])).toEqual([
      ['empty', 'file'], [LONG, 'file'], ['notes.txt', 'file'], ['photos', 'folder'], ['photos/2024', 'folder'], ['photos/2024/a b.jpg', 'file'], ['photos/2024/b.jpg', 'file']
    ])
    // Without -r: the folder's own entries only.
    const flat = JSON.parse((await veil(args(join(dir, 'repo'), 'ls', link, '--json'))).stdout) as ListJson
    expect(flat.entries.map(e => e.path)).toEqual(['empty', LONG, 'notes.txt', 'photos'])
  }, 60_000)

  it('a folder to stdout is a tar stream that tar x unpacks into the same tree', async () => {
    const dir = await tempDir()
    const result = await veil(args(join(dir, 'repo'), 'get', link, '-o', '-'))
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(/wrote a tar stream of 5 files/)
    const out = join(dir, 'untarred')
    await mkdir(out)
    const tar = spawn('tar', ['-x', '-C', out], { stdio: ['pipe', 'ignore', 'pipe'] })
    let tarErr = ''
    tar.stderr.setEncoding('utf8').on('data', (chunk: string) => { tarErr += chunk })
    tar.stdin.end(result.stdoutBytes)
    expect(await new Promise(resolve => tar.on('close', resolve)), tarErr).toBe(0)
    expect(await treeDigest(join(out, 'album'))).toEqual(await treeDigest(album))

    // A reader that leaves early (`… -o - | tar t | head`): exit 1 with the same clear line as for a file.
    const piped = new VeilProcess(args(join(dir, 'repo'), 'get', link, '-o', '-'))
    await piped.waitFor(/[\s\S]/)
    piped.child.stdout!.destroy()
    const left = await piped.exited
    expect(left.code, left.stderr).toBe(1)
    expect(errorLine(left)).toBe('veil: the output was closed before the share was fully written (for example by `head`)')
  }, 60_000)

  it('-o <existing folder> puts a file share inside it, as cp does; a second run is already complete', async () => {
    const dir = await tempDir()
    const into = join(dir, 'downloads')
    await mkdir(into)
    const notes = withPath(link, 'notes.txt')
    const first = await veil(args(join(dir, 'repo'), 'get', notes, '-o', into, '--json'))
    expect(first.code, first.stderr).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({ path: join(into, 'notes.txt') })
    expect(await readFile(join(into, 'notes.txt'), 'utf8')).toBe('hello')
    const again = await veil(args(join(dir, 'repo'), 'get', notes, '-o', into, '--json'))
    expect(JSON.parse(again.stdout)).toMatchObject({ path: join(into, 'notes.txt'), alreadyComplete: true })
  }, 60_000)

  it('the link can come from stdin (-) or --link-file, keeping the key off the command line', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'repo')
    const viaStdin = await veil(args(repo, 'get', '-', '-o', join(dir, 'a.txt')), { input: `\n${withPath(link, 'notes.txt')}\n` })
    expect(viaStdin.code, viaStdin.stderr).toBe(0)
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('hello')
    const lsStdin = await veil(args(repo, 'ls', '-', '--json'), { input: link })
    expect(lsStdin.code, lsStdin.stderr).toBe(0)
    expect((JSON.parse(lsStdin.stdout) as ListJson).name).toBe('album')

    await writeFile(join(dir, 'link.txt'), `${withPath(link, 'photos', '2024', 'b.jpg')}\n`)
    const viaFile = await veil(args(repo, 'get', '--link-file', join(dir, 'link.txt'), '-o', '-'))
    expect(viaFile.code, viaFile.stderr).toBe(0)
    expect(viaFile.stdoutBytes.equals(await readFile(join(album, 'photos', '2024', 'b.jpg')))).toBe(true)

    const empty = await veil(args(repo, 'get', '-'), { input: '\n\n' })
    expect(empty.code).toBe(2)
    expect(errorLine(empty)).toBe('veil: no link in stdin: it is empty')
    const noFile = await veil(args(repo, 'ls', '--link-file', join(dir, 'missing.txt')))
    expect(noFile.code).toBe(1)
    expect(errorLine(noFile)).toMatch(/no such link file: .*missing\.txt/)
    expect(await exists(join(dir, 'missing.txt'))).toBe(false)
  }, 60_000)

  it('names with control characters are refused at share time and never printed raw', async () => {
    const dir = await tempDir()
    const folder = join(dir, 'odd')
    await mkdir(folder)
    const evil = 'red\u001b[31mname\u0007'
    await writeFile(join(folder, evil), 'x')
    // Such a name is refused at share time (issue 11), and said without the raw characters.
    const refused = await veil(args(join(dir, 'sharer'), 'share', folder, '--replicas', '1', '--json'))
    expect(refused.code).toBe(1)
    expect(refused.stderr).not.toMatch(/[\u0007\u001b]/)
    expect(errorLine(refused)).toMatch(/red<U\+001B>\[31mname<U\+0007>.*rename it/)
    // A path asked for inside a share is never echoed raw either.
    await rm(join(folder, evil))
    await writeFile(join(folder, 'plain.txt'), 'x')
    const shared = await veil(args(join(dir, 'sharer'), 'share', folder, '--replicas', '1', '--json'))
    expect(shared.code, shared.stderr).toBe(0)
    const oddLink = (JSON.parse(shared.stdout) as { link: string }).link
    const missing = await veil(args(join(dir, 'repo'), 'get', withPath(oddLink, 'no\u001b[2Jpe')))
    expect(missing.code).toBe(1)
    expect(missing.stderr).not.toMatch(/\u001b/)
    expect(errorLine(missing)).toMatch(/no entry "no\\u001b\[2Jpe"/)
  }, 60_000)

  it('share prints the magnet or gateway form on request, and --qr draws the link as a QR code', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'sharer')
    const file = join(dir, 'notes.txt')
    await writeFile(file, 'hello')
    const magnet = await veil(args(repo, 'share', file, '--replicas', '1', '--format', 'magnet'))
    expect(magnet.code, magnet.stderr).toBe(0)
    const magnetLink = magnet.stdout.trim().split('\n').at(-1)!
    expect(magnetLink).toMatch(/^magnet:\?xt=urn:veil:b[a-z2-7]+&dn=notes\.txt&xl=5#[A-Za-z0-9_-]{43}$/)
    // The magnet form fetches like any other.
    const got = await veil(args(join(dir, 'reader'), 'get', magnetLink, '-o', '-'))
    expect(got.code, got.stderr).toBe(0)
    expect(got.stdout).toBe('hello')

    const gateway = await veil(args(repo, 'share', file, '--replicas', '1', '--format', 'gateway', '--gateway', 'https://gw.example/', '--json'))
    expect(gateway.code, gateway.stderr).toBe(0)
    const doc = JSON.parse(gateway.stdout) as { link: string, cid: string, links: { veil: string, magnet: string, gateway: string } }
    expect(doc.links.veil).toBe(doc.link)
    expect(doc.links.gateway).toBe(`https://gw.example/v/${doc.cid}#${doc.link.split('#')[1]!}`)
    expect(doc.links.magnet).toMatch(/^magnet:\?xt=urn:veil:/)
    const viaEnv = await veil(args(repo, 'share', file, '--replicas', '1', '--format', 'gateway'), { env: { VEIL_GATEWAY: 'http://127.0.0.1:8080' } })
    expect(viaEnv.stdout.trim().split('\n').at(-1)).toMatch(/^http:\/\/127\.0\.0\.1:8080\/v\/b[a-z2-7]+#/)

    const usage = await Promise.all([
      veil(args(repo, 'share', file, '--format', 'gateway')),
      veil(args(repo, 'share', file, '--format', 'torrent')),
      veil(args(repo, 'share', file, '--gateway', 'ftp://x')),
      veil(args(repo, 'share', file, '--qr', '--json'))
    ])
    expect(usage.map(r => r.code)).toEqual([2, 2, 2, 2])
    expect(errorLine(usage[0]!)).toMatch(/--format gateway needs the gateway's address/)
    expect(errorLine(usage[1]!)).toMatch(/argument 'torrent' is invalid/)

    const qr = await veil(args(repo, 'share', file, '--replicas', '1', '--qr'))
    expect(qr.code, qr.stderr).toBe(0)
    const link = qr.stdout.trim().split('\n').at(-1)!
    expect(link).toMatch(/^veil:\/\//)
    expect(qr.stdout).toContain(await QRCode.toString(link, { type: 'terminal', small: true }))
  }, 90_000)
})
