import { describe, it, expect } from 'vitest'
import { createServer } from 'node:net'
import { request } from 'node:http'
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir, exists } from '../helpers/files.js'
import { errorLine, startDaemon, veil, VeilProcess } from './helpers.js'

interface ApiJson { url: string, token: string, pid: number, addresses: string[] }

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise(resolve => server.close(resolve))
  return port
}

async function httpStatus (url: string, headers: Record<string, string> = {}): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, res => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', reject)
    req.end()
  })
}

describe('veil node start (the daemon)', () => {
  it('prints its listening addresses, writes api.json, answers status and peers, and stops cleanly on SIGTERM', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'node')
    const daemon = await startDaemon(repo, ['--storage', '64MB'])
    expect(daemon.addresses.length).toBeGreaterThan(0)
    for (const address of daemon.addresses) expect(address).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW\w+$/)
    expect(daemon.proc.stdout.split('\n').filter(line => line.length > 0).every(line => line.startsWith('listening '))).toBe(true)

    const api = JSON.parse(await readFile(join(repo, 'api.json'), 'utf8')) as ApiJson
    expect((await stat(join(repo, 'api.json'))).mode & 0o777).toBe(0o600)
    expect(api).toMatchObject({ pid: daemon.proc.child.pid, addresses: daemon.addresses })
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(api.token).toMatch(/^[0-9a-f]{64}$/)
    // The control API wants the token.
    expect(await httpStatus(`${api.url}/v1/status`)).toBe(401)
    expect(await httpStatus(`${api.url}/v1/status`, { authorization: 'Bearer ' + 'f'.repeat(64) })).toBe(401)
    expect(await httpStatus(`${api.url}/v1/status`, { authorization: `Bearer ${api.token}` })).toBe(200)

    const status = await veil(['--repo', repo, 'status', '--json'])
    expect(status.code).toBe(0)
    const doc = JSON.parse(status.stdout) as { running: boolean, peerId: string, storage: { capacity: number } }
    expect(doc.running).toBe(true)
    expect(daemon.address.endsWith(`/p2p/${doc.peerId}`)).toBe(true)
    expect(doc.storage.capacity).toBe(64 * 1024 * 1024)
    const peers = await veil(['--repo', repo, 'peers', '--json'])
    expect(peers.code).toBe(0)
    expect(JSON.parse(peers.stdout)).toEqual({ peers: [] })

    // A second node on the same repo is refused.
    const twice = await veil(['--repo', repo, 'node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0'])
    expect(twice.code).toBe(1)
    expect(errorLine(twice)).toMatch(/a node is already running for .* \(pid \d+\): stop it first/)

    const stopped = await daemon.proc.stop('SIGTERM')
    expect(stopped.code).toBe(0)
    expect(await exists(join(repo, 'api.json'))).toBe(false)
    const after = JSON.parse((await veil(['--repo', repo, 'status', '--json'])).stdout) as { running: boolean, peerId: string }
    expect(after).toMatchObject({ running: false, peerId: doc.peerId })
  }, 90_000)

  it('stops cleanly on SIGINT too, and --json prints one document', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'node')
    const proc = new VeilProcess(['--repo', repo, 'node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--json'])
    await proc.waitFor(/^\{.*\}\n/)
    const doc = JSON.parse(proc.stdout) as { peerId: string, addresses: string[], api: string, swarmId: string | null, storage: number | null }
    expect(doc.addresses[0]).toMatch(/\/p2p\/12D3KooW/)
    expect(doc).toMatchObject({ swarmId: null, storage: null })
    expect(await exists(join(repo, 'api.json'))).toBe(true)
    const result = await proc.stop('SIGINT')
    expect(result.code).toBe(0)
    expect(result.stdout.trim().split('\n')).toHaveLength(1)
    expect(await exists(join(repo, 'api.json'))).toBe(false)
  }, 60_000)

  it('a port in use exits 1 with the port and what to pass instead', async () => {
    const dir = await tempDir()
    const port = await freePort()
    const holder = new VeilProcess(['--repo', join(dir, 'b'), 'node', 'start', '--listen', `/ip4/127.0.0.1/tcp/${port}`])
    await holder.waitFor(/^listening /m)
    const second = await veil(['--repo', join(dir, 'c'), 'node', 'start', '--listen', `/ip4/127.0.0.1/tcp/${port}`])
    expect(second.code).toBe(1)
    expect(second.stderr.trim().split('\n')).toHaveLength(1)
    expect(errorLine(second)).toBe(`veil: port ${port} is in use: pass --listen /ip4/127.0.0.1/tcp/<other port> (or tcp/0 for any free port)`)
    // The control API port too.
    const apiPort = Number(new URL((JSON.parse(await readFile(join(dir, 'b', 'api.json'), 'utf8')) as ApiJson).url).port)
    const third = await veil(['--repo', join(dir, 'd'), 'node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', `127.0.0.1:${apiPort}`])
    expect(third.code).toBe(1)
    expect(errorLine(third)).toMatch(new RegExp(`control API port ${apiPort} is in use: pass --api 127\\.0\\.0\\.1:<other port>`))
    expect(await exists(join(dir, 'd', 'api.json'))).toBe(false)
  }, 90_000)

  it('a stale api.json (its process is gone) is ignored and removed', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'node')
    await mkdir(repo, { recursive: true })
    // Above Linux's largest pid (2^22), so no process can have it.
    const deadPid = 2 ** 22 + 7
    await writeFile(join(repo, 'api.json'), JSON.stringify({ url: 'http://127.0.0.1:9', token: 'x'.repeat(64), pid: deadPid, addresses: [] }))
    const status = await veil(['--repo', repo, 'status', '--json'])
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({ running: false })
    expect(await exists(join(repo, 'api.json'))).toBe(false)
  }, 30_000)

  it('a private swarm: the invite carries the running node\'s address, members share and fetch, an outsider cannot connect', async () => {
    const dir = await tempDir()
    const owner = join(dir, 'owner')
    const created = JSON.parse((await veil(['--repo', owner, 'swarm', 'create', '--json'])).stdout) as { swarmId: string }
    const daemon = await startDaemon(owner, ['--storage', '64MB'])
    const status = JSON.parse((await veil(['--repo', owner, 'status', '--json'])).stdout) as { swarmId: string }
    expect(status.swarmId).toBe(created.swarmId)
    const invite = await veil(['--repo', owner, 'swarm', 'invite', '--json'])
    expect(invite.code, invite.stderr).toBe(0)
    const doc = JSON.parse(invite.stdout) as { invite: string, bootstrap: string[] }
    expect(doc.bootstrap).toEqual(daemon.addresses)

    for (const member of ['alice', 'bob']) expect((await veil(['--repo', join(dir, member), 'swarm', 'join', doc.invite])).code).toBe(0)
    const file = join(dir, 'secret.txt')
    await writeFile(file, 'for members only')
    const shared = await veil(['--repo', join(dir, 'alice'), 'share', file, '--replicas', '1', '--json'])
    expect(shared.code, shared.stderr).toBe(0)
    const { link } = JSON.parse(shared.stdout) as { link: string }
    const got = await veil(['--repo', join(dir, 'bob'), 'get', link, '-o', join(dir, 'bob.txt')])
    expect(got.code, got.stderr).toBe(0)
    expect(await readFile(join(dir, 'bob.txt'), 'utf8')).toBe('for members only')

    const outsider = await veil(['--repo', join(dir, 'eve'), 'get', link, '-o', join(dir, 'eve.txt'), '--bootstrap', daemon.address])
    expect(outsider.code).toBe(1)
    expect(errorLine(outsider)).toMatch(/^veil: the peer at \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\w+ refused the connection: it is in another private swarm \(or none\)/)
    expect(await exists(join(dir, 'eve.txt'))).toBe(false)
  }, 90_000)

  it('a light client whose swarm has no storage node fails: "no storage node took the share"', async () => {
    const dir = await tempDir()
    const plain = await startDaemon(join(dir, 'plain'))
    await writeFile(join(dir, 'file.txt'), 'nobody stores me')
    const result = await veil(['--repo', join(dir, 'light'), 'share', join(dir, 'file.txt'), '--bootstrap', plain.address, '--json'])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(errorLine(result)).toBe('veil: no storage node took the share: start one with `veil node start --storage 10GiB`, or run `veil node start` to keep and serve it yourself')
  }, 60_000)
})
