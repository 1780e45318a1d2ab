import { describe, it, expect } from 'vitest'
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { parseInvite, readSwarmKeyFile } from '../../src/swarm/index.js'
import { tempDir } from '../helpers/files.js'
import { errorLine, veil } from './helpers.js'

const PEER_A = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWSciAXyDvUtANF5BnCV8uE8o4godowz7gpwQT8TaqvHHA'
const PEER_B = '/ip4/127.0.0.1/tcp/4002/p2p/12D3KooWBu5KTzsaSNaXHHfCcd25TzfrSSYtJShpBzHEC84sDco1'
const PEER_C = '/ip4/10.0.0.3/tcp/4003/p2p/12D3KooWAHdUQgmusu5urxbhu6sKZd9SSXKnPU2zdTW5YeHJFQAi'

describe('veil swarm and configuration', () => {
  it('swarm create → invite → join → rotate round trip', async () => {
    const dir = await tempDir()
    const owner = join(dir, 'owner')
    const member = join(dir, 'member')

    // create: into the repo by default, refusing to overwrite
    const created = await veil(['--repo', owner, 'swarm', 'create', '--json'])
    expect(created.code).toBe(0)
    const { path, swarmId } = JSON.parse(created.stdout) as { path: string, swarmId: string }
    expect(path).toBe(join(owner, 'swarm.key'))
    expect(swarmId).toMatch(/^[0-9a-f]{16}$/)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await readSwarmKeyFile(path)).id).toBe(swarmId)
    const again = await veil(['--repo', owner, 'swarm', 'create'])
    expect(again.code).toBe(1)
    expect(errorLine(again)).toMatch(/there is already a swarm key at .*swarm\.key/)
    const elsewhere = await veil(['swarm', 'create', '-o', join(dir, 'other.key')])
    expect(elsewhere.code).toBe(0)
    expect(elsewhere.stdout).toMatch(/^created swarm [0-9a-f]{16}\nkey .*other\.key\n$/)

    // invite: needs an address; takes --bootstrap, else the configured list
    const noAddress = await veil(['--repo', owner, 'swarm', 'invite'])
    expect(noAddress.code).toBe(1)
    expect(errorLine(noAddress)).toMatch(/an invite needs an address to join through/)
    const invited = await veil(['--repo', owner, 'swarm', 'invite', '--bootstrap', PEER_A, '--bootstrap', PEER_B, '--name', 'lab'])
    expect(invited.code).toBe(0)
    const invite = invited.stdout.trim()
    expect(invite.split('\n')).toHaveLength(1)
    const parsed = parseInvite(invite)
    expect(parsed).toMatchObject({ id: swarmId, bootstrap: [PEER_A, PEER_B], name: 'lab' })

    // join: writes the key and the bootstrap list into the member's repo
    const joined = await veil(['--repo', member, 'swarm', 'join', invite, '--json'])
    expect(joined.code).toBe(0)
    expect(JSON.parse(joined.stdout)).toMatchObject({ swarmId, bootstrap: [PEER_A, PEER_B], keyPath: join(member, 'swarm.key') })
    expect(await readFile(join(member, 'swarm.key'))).toEqual(await readFile(path))
    expect(JSON.parse(await readFile(join(member, 'config.json'), 'utf8'))).toMatchObject({ bootstrap: [PEER_A, PEER_B] })
    const status = JSON.parse((await veil(['--repo', member, 'status', '--json'])).stdout) as { swarmId: string, config: { bootstrap: string[] } }
    expect(status.swarmId).toBe(swarmId)
    expect(status.config.bootstrap).toEqual([PEER_A, PEER_B])
    // the member can now invite others with the joined key and configured peers
    const relayed = await veil(['--repo', member, 'swarm', 'invite'])
    expect(parseInvite(relayed.stdout.trim())).toMatchObject({ id: swarmId, bootstrap: [PEER_A, PEER_B] })

    // joining another swarm over it needs --force; a bad invite is refused clearly
    const otherInvite = (await veil(['--repo', join(dir, 'third'), 'swarm', 'invite', '--swarm-key', join(dir, 'other.key'), '--bootstrap', PEER_C])).stdout.trim()
    const refused = await veil(['--repo', member, 'swarm', 'join', otherInvite])
    expect(refused.code).toBe(1)
    expect(errorLine(refused)).toMatch(/already a different swarm key .*pass --force/)
    const bad = await veil(['--repo', member, 'swarm', 'join', invite.slice(0, -3)])
    expect(bad.code).toBe(1)
    expect(errorLine(bad)).toMatch(/the invite was cut short or altered/)

    // rotate: a new key, the old one kept beside it, a new invite
    const rotated = await veil(['--repo', member, 'swarm', 'rotate', '--json'])
    expect(rotated.code).toBe(0)
    const r = JSON.parse(rotated.stdout) as { swarmId: string, previousSwarmId: string, keyPath: string, oldKeyPath: string, invite: string }
    expect(r.previousSwarmId).toBe(swarmId)
    expect(r.swarmId).not.toBe(swarmId)
    expect(await readFile(r.oldKeyPath)).toEqual(await readFile(path))
    expect((await readSwarmKeyFile(r.keyPath)).id).toBe(r.swarmId)
    expect(parseInvite(r.invite)).toMatchObject({ id: r.swarmId, bootstrap: [PEER_A, PEER_B] })
  }, 60_000)

  it('settings: flags beat the environment, which beats config.json, which beats the package defaults', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'repo')
    const status = async (env: Record<string, string> = {}): Promise<{ config: { bootstrap: string[], listen: string[], replicas: number, storage: number | null } }> => {
      const result = await veil(['--repo', repo, 'status', '--json'], { env })
      expect(result.code, result.stderr).toBe(0)
      return JSON.parse(result.stdout)
    }
    // package defaults
    expect((await status()).config).toMatchObject({ bootstrap: [], listen: ['/ip4/0.0.0.0/tcp/4001'], replicas: 3, storage: null })
    // repo config
    await mkdir(repo, { recursive: true })
    await writeFile(join(repo, 'config.json'), JSON.stringify({ bootstrap: [PEER_A], replicas: 2, storage: '2GB' }))
    expect((await status()).config).toMatchObject({ bootstrap: [PEER_A], replicas: 2, storage: 2 * 1024 ** 3 })
    // environment over config
    expect((await status({ VEIL_BOOTSTRAP: `${PEER_B},${PEER_C}` })).config.bootstrap).toEqual([PEER_B, PEER_C])
    // flag over environment
    const invite = await veil(['--repo', repo, 'swarm', 'create'])
    expect(invite.code).toBe(0)
    const flagged = await veil(['--repo', repo, 'swarm', 'invite', '--bootstrap', PEER_C, '--json'], { env: { VEIL_BOOTSTRAP: PEER_B } })
    expect(JSON.parse(flagged.stdout).bootstrap).toEqual([PEER_C])
    const fromEnv = await veil(['--repo', repo, 'swarm', 'invite', '--json'], { env: { VEIL_BOOTSTRAP: PEER_B } })
    expect(JSON.parse(fromEnv.stdout).bootstrap).toEqual([PEER_B])

    // bad values name where they came from
    const badEnv = await veil(['--repo', repo, 'status'], { env: { VEIL_BOOTSTRAP: '/ip4/1.2.3.4/tcp/1' } })
    expect(badEnv.code).toBe(1)
    expect(errorLine(badEnv)).toMatch(/VEIL_BOOTSTRAP has "\/ip4\/1\.2\.3\.4\/tcp\/1", which does not end with \/p2p\/<peer id>/)
    await writeFile(join(repo, 'config.json'), '{ "replicas": ')
    const badJson = await veil(['--repo', repo, 'status'])
    expect(badJson.code).toBe(1)
    expect(errorLine(badJson)).toMatch(/config\.json is not valid JSON .*: fix it or delete it/)
    await writeFile(join(repo, 'config.json'), JSON.stringify({ storage: 'lots' }))
    const badSize = await veil(['--repo', repo, 'status'])
    expect(badSize.code).toBe(1)
    expect(errorLine(badSize)).toMatch(/"storage" in .*config\.json: "lots" is not a size/)
  }, 60_000)
})
