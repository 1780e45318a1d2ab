/**
 * Issue 14, bug 6 and swarm-key mismatches: after `veil swarm rotate` on a
 * running node, `swarm invite` refuses until the node restarts onto the new
 * key (and rotate says so); a peer on another key is reported as such, not
 * as "read ECONNRESET".
 */
import { describe, it, expect } from 'vitest'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseInvite } from '../../src/swarm/index.js'
import { tempDir } from '../helpers/files.js'
import { errorLine, startDaemon, veil } from './helpers.js'

const MISMATCH = /^veil: the peer at \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\w+ refused the connection: it is in another private swarm \(or none\)/

describe('swarm key rotation on a running node', () => {
  it('rotate says the node must restart; invite refuses until it has; members then join on the new key', async () => {
    const dir = await tempDir()
    const owner = join(dir, 'owner')
    const created = JSON.parse((await veil(['--repo', owner, 'swarm', 'create', '--json'])).stdout) as { swarmId: string }
    let daemon = await startDaemon(owner, ['--storage', '64MiB'])
    await writeFile(join(dir, 'file.txt'), 'members only')

    // Someone with no key at all is told what is wrong, not "read ECONNRESET".
    const outsider = await veil(['--repo', join(dir, 'outsider'), 'share', join(dir, 'file.txt'), '--bootstrap', daemon.address])
    expect(outsider.code).toBe(1)
    expect(errorLine(outsider)).toMatch(MISMATCH)
    expect(errorLine(outsider)).toMatch(/this node is in no private swarm: .*veil swarm join <invite>/)

    const rotated = await veil(['--repo', owner, 'swarm', 'rotate'])
    expect(rotated.code, rotated.stderr).toBe(0)
    expect(rotated.stdout).toMatch(new RegExp(`^rotated swarm ${created.swarmId} to [0-9a-f]{16}\\nold key kept at .*swarm\\.key\\.old\\n$`))
    expect(rotated.stderr).toMatch(/the node running for this repo \(pid \d+\) still uses the old key, and `veil swarm invite` refuses until it restarts/)
    const newId = /to ([0-9a-f]{16})/.exec(rotated.stdout)![1]!

    const refused = await veil(['--repo', owner, 'swarm', 'invite'])
    expect(refused.code).toBe(1)
    expect(errorLine(refused)).toMatch(new RegExp(`is still in swarm ${created.swarmId}, but the repo's key is now swarm ${newId}: restart it`))

    // An invite forced to the old-key node's address: joining on the new key fails, saying why.
    const forced = JSON.parse((await veil(['--repo', owner, 'swarm', 'invite', '--bootstrap', daemon.address, '--json'])).stdout) as { invite: string }
    expect((await veil(['--repo', join(dir, 'early'), 'swarm', 'join', forced.invite])).code).toBe(0)
    const early = await veil(['--repo', join(dir, 'early'), 'share', join(dir, 'file.txt')])
    expect(early.code).toBe(1)
    expect(errorLine(early)).toMatch(MISMATCH)
    expect(errorLine(early)).toMatch(new RegExp(`this node is in swarm ${newId} \\(key .*early/swarm\\.key\\)`))

    // Restarted (on two listen addresses: --listen repeats): invite works and members share on the new key.
    expect((await daemon.proc.stop()).code).toBe(0)
    daemon = await startDaemon(owner, ['--storage', '64MiB', '--listen', '/ip4/127.0.0.2/tcp/0'])
    expect(daemon.addresses).toHaveLength(2)
    const invited = await veil(['--repo', owner, 'swarm', 'invite', '--json'])
    expect(invited.code, invited.stderr).toBe(0)
    const { invite } = JSON.parse(invited.stdout) as { invite: string }
    expect(parseInvite(invite)).toMatchObject({ id: newId, bootstrap: daemon.addresses })
    expect((await veil(['--repo', join(dir, 'member'), 'swarm', 'join', invite])).code).toBe(0)
    const shared = await veil(['--repo', join(dir, 'member'), 'share', join(dir, 'file.txt'), '--replicas', '1', '--json'])
    expect(shared.code, shared.stderr).toBe(0)
    const got = await veil(['--repo', join(dir, 'reader'), 'get', '-', '-o', join(dir, 'got.txt'), '--swarm-key', join(dir, 'member', 'swarm.key'), '--bootstrap', daemon.address], { input: (JSON.parse(shared.stdout) as { link: string }).link })
    expect(got.code, got.stderr).toBe(0)
    expect(await readFile(join(dir, 'got.txt'), 'utf8')).toBe('members only')

    // Rotating with no node running still prints an invite for the configured members.
    expect((await daemon.proc.stop()).code).toBe(0)
    const offline = await veil(['--repo', join(dir, 'member'), 'swarm', 'rotate', '--json'])
    expect(offline.code, offline.stderr).toBe(0)
    expect(JSON.parse(offline.stdout)).toMatchObject({ restartNeeded: false, previousSwarmId: newId })
    expect(parseInvite((JSON.parse(offline.stdout) as { invite: string }).invite).bootstrap).toEqual(daemon.addresses)
  }, 150_000)
})
