/**
 * Issue 14, the command line itself: repeatable --bootstrap/--listen, a
 * status that never creates a repo, global flags in every --help, exit 130
 * on Ctrl-C, binary units labelled as such, an executable bin, and a
 * --help that does not load libp2p.
 */
import { describe, it, expect } from 'vitest'
import { spawn } from 'node:child_process'
import { createServer, type Socket } from 'node:net'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseInvite } from '../../src/swarm/index.js'
import { exists, tempDir } from '../helpers/files.js'
import { CLI, cleanEnv, errorLine, veil, VeilProcess } from './helpers.js'

const PEER_A = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWSciAXyDvUtANF5BnCV8uE8o4godowz7gpwQT8TaqvHHA'
const PEER_B = '/ip4/127.0.0.1/tcp/4002/p2p/12D3KooWBu5KTzsaSNaXHHfCcd25TzfrSSYtJShpBzHEC84sDco1'
const PEER_C = '/ip4/10.0.0.3/tcp/4003/p2p/12D3KooWAHdUQgmusu5urxbhu6sKZd9SSXKnPU2zdTW5YeHJFQAi'
const NOWHERE = '/ip4/127.0.0.1/tcp/9/p2p/12D3KooWSciAXyDvUtANF5BnCV8uE8o4godowz7gpwQT8TaqvHHA'
const RECORD_IMPORTS = fileURLToPath(new URL('./fixtures/record-imports.mjs', import.meta.url))

/** Run the CLI with a loader hook that lists every package it imports (in VEIL_IMPORTS_FILE). */
async function packagesLoaded (args: string[], dir: string): Promise<string[]> {
  const file = join(dir, `imports-${args.join('-').replace(/[^a-z-]/gi, '')}.txt`)
  const child = spawn(process.execPath, ['--import', RECORD_IMPORTS, CLI, ...args], {
    env: cleanEnv({ VEIL_IMPORTS_FILE: file }),
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  expect(code, stderr).toBe(0)
  return [...new Set((await readFile(file, 'utf8')).split('\n').filter(line => line.length > 0))]
}

describe('veil: flags, exit codes and units as people expect them', () => {
  it('--bootstrap takes one address per flag (repeatable, or comma-separated) and never swallows the argument after it', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'repo')
    await writeFile(join(dir, 'file.txt'), 'hello')
    expect((await veil(['--repo', repo, 'swarm', 'create'])).code).toBe(0)
    const repeated = await veil(['--repo', repo, 'swarm', 'invite', '--bootstrap', PEER_A, '--bootstrap', `${PEER_B},${PEER_C}`, '--json'])
    expect(repeated.code, repeated.stderr).toBe(0)
    expect(parseInvite((JSON.parse(repeated.stdout) as { invite: string }).invite).bootstrap).toEqual([PEER_A, PEER_B, PEER_C])
    // The old variadic form is now a usage error, not a silently swallowed argument.
    const two = await veil(['--repo', repo, 'swarm', 'invite', '--bootstrap', PEER_A, PEER_B])
    expect(two.code).toBe(2)
    expect(errorLine(two)).toMatch(/too many arguments/)
    // `share --bootstrap X file`: the path is still the path (it fails later, at the unreachable peer).
    const share = await veil(['--repo', repo, 'share', '--bootstrap', NOWHERE, '--join-timeout', '2s', join(dir, 'file.txt')])
    expect(share.code).toBe(1)
    // An unreachable peer may be restarting: it is dialled again until the join timeout.
    expect(errorLine(share)).toMatch(/could not reach any bootstrap peer .*dialled \d+ times over/)
    const empty = await veil(['--repo', repo, 'share', '--bootstrap', ',', join(dir, 'file.txt')])
    expect(empty.code).toBe(2)
  }, 60_000)

  it('status and peers on a missing --repo create nothing; status says the repo does not exist', async () => {
    const dir = await tempDir()
    const missing = join(dir, 'no', 'such', 'repo')
    const human = await veil(['--repo', missing, 'status'])
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/^repo +does not exist yet/m)
    const json = await veil(['--repo', missing, 'status', '--json'])
    expect(JSON.parse(json.stdout)).toMatchObject({ running: false, exists: false, peerId: null, store: { blocks: 0, bytes: 0 } })
    const peers = await veil(['--repo', missing, 'peers'])
    expect(peers.code).toBe(1)
    const invite = await veil(['--repo', missing, 'swarm', 'invite'])
    expect(invite.code).toBe(1)
    expect(await exists(join(dir, 'no'))).toBe(false)
    // An existing repo says exists: true.
    await veil(['--repo', join(dir, 'r'), 'init'])
    expect(JSON.parse((await veil(['--repo', join(dir, 'r'), 'status', '--json'])).stdout)).toMatchObject({ exists: true })
  }, 30_000)

  it('every subcommand\'s --help lists the global --repo and --json', async () => {
    const commands = [['share'], ['get'], ['ls'], ['status'], ['node', 'start'], ['swarm', 'invite']]
    const results = await Promise.all(commands.map(async command => await veil([...command, '--help'])))
    for (const [i, result] of results.entries()) {
      expect(result.code).toBe(0)
      expect(result.stdout, commands[i]!.join(' ')).toMatch(/Global Options:[\s\S]*--repo <dir>[\s\S]*--json/)
    }
  }, 30_000)

  it('Ctrl-C during a command exits 130 with one line (SIGTERM 143)', async () => {
    const dir = await tempDir()
    // A "peer" that accepts the connection and never answers: the command is stuck dialling it.
    const sockets = new Set<Socket>()
    const server = createServer(socket => { sockets.add(socket) })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const peer = `/ip4/127.0.0.1/tcp/${port}/p2p/12D3KooWSciAXyDvUtANF5BnCV8uE8o4godowz7gpwQT8TaqvHHA`
    await writeFile(join(dir, 'file.txt'), 'hello')
    try {
      for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
        const connected = new Promise<void>(resolve => server.once('connection', () => { resolve() }))
        const proc = new VeilProcess(['--repo', join(dir, 'repo'), 'share', join(dir, 'file.txt'), '--bootstrap', peer])
        await connected
        const result = await proc.stop(signal)
        expect(result.code, result.stderr).toBe(code)
        expect(result.stderr.trim().split('\n')).toEqual(['veil: interrupted'])
      }
    } finally {
      for (const socket of sockets) socket.destroy()
      server.close()
    }
  }, 60_000)

  it('sizes are binary and labelled KiB/MiB/GiB; GB on input means GiB', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'repo')
    await mkdir(repo)
    await writeFile(join(repo, 'config.json'), JSON.stringify({ storage: '2GB' }))
    const human = await veil(['--repo', repo, 'status'])
    expect(human.stdout).toMatch(/^storage +2\.0 GiB;/m)
    expect(human.stdout).not.toMatch(/\b[KMGT]B\b/)
    expect(JSON.parse((await veil(['--repo', repo, 'status', '--json'])).stdout).config.storage).toBe(2 * 1024 ** 3)
  }, 30_000)

  it('dist/src/cli/main.js is executable and runs by itself', async () => {
    expect((await stat(CLI)).mode & 0o111).toBe(0o111)
    const child = spawn(CLI, ['--version'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    expect(await new Promise(resolve => child.on('close', resolve))).toBe(0)
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
  }, 30_000)

  it('--help loads no libp2p package; an offline status does not load libp2p itself', async () => {
    const dir = await tempDir()
    for (const args of [['--help'], ['share', '--help'], ['node', 'start', '--help']]) {
      const packages = await packagesLoaded(args, dir)
      expect(packages, args.join(' ')).toContain('commander')
      expect(packages.filter(name => name === 'libp2p' || name.startsWith('@libp2p/') || name.startsWith('@chainsafe/')), args.join(' ')).toEqual([])
    }
    const status = await packagesLoaded(['--repo', join(dir, 'repo'), 'status'], dir)
    expect(status).not.toContain('libp2p')
    expect(status).not.toContain('@libp2p/kad-dht')
  }, 30_000)
})
