import { describe, it, expect } from 'vitest'
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defaultsPath } from '../../src/cli/config-file.js'
import { loadSettings, TEST_MODE_MAINTENANCE } from '../../src/cli/config.js'
import { parseDuration, parseSize } from '../../src/cli/units.js'
import { convergenceSecret } from '../../src/cli/repo.js'
import { createSwarmKey, writeSwarmKeyFile } from '../../src/swarm/index.js'
import { tempDir } from '../helpers/files.js'

const PEER_A = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWSciAXyDvUtANF5BnCV8uE8o4godowz7gpwQT8TaqvHHA'
const PEER_B = '/ip4/127.0.0.1/tcp/4002/p2p/12D3KooWBu5KTzsaSNaXHHfCcd25TzfrSSYtJShpBzHEC84sDco1'
const GiB = 1024 ** 3

describe('CLI configuration (unit)', () => {
  it('finds the package defaults from the sources (the built CLI is checked by the CLI tests)', async () => {
    const pkg = resolve(fileURLToPath(new URL('../..', import.meta.url)))
    expect(defaultsPath()).toBe(join(pkg, 'config', 'default.json'))
    expect(JSON.parse(await readFile(defaultsPath(), 'utf8'))).toMatchObject({ replicas: 3, api: '127.0.0.1:0' })
  })

  it('parses human sizes and rejects everything else', () => {
    expect(parseSize('50GB')).toBe(50 * GiB)
    expect(parseSize('1.5GiB')).toBe(1.5 * GiB)
    expect(parseSize('500 MB')).toBe(500 * 1024 ** 2)
    expect(parseSize('1048576')).toBe(1048576)
    expect(parseSize('2tb')).toBe(2 * 1024 ** 4)
    for (const bad of ['12zz', '', 'GB', '-5GB', '1e3', '5 GB extra', '0x10']) expect(() => parseSize(bad), bad).toThrow(/is not a size/)
  })

  it('parses durations and a storage node\'s timing, with a short test mode', async () => {
    expect(parseDuration('90s')).toBe(90_000)
    expect(parseDuration('1.5h')).toBe(5_400_000)
    expect(parseDuration('30d')).toBe(30 * 86_400_000)
    expect(parseDuration('250ms')).toBe(250)
    for (const bad of ['', '10', '5 weeks', 'h', '-1s']) expect(() => parseDuration(bad), bad).toThrow(/is not a duration/)

    const dir = await tempDir()
    const repo = join(dir, 'repo')
    expect((await loadSettings({ repo }, {})).maintenance).toEqual({})
    await mkdir(repo)
    await writeFile(join(repo, 'config.json'), JSON.stringify({ maintenance: { repairEvery: '10m', lease: '2d' } }))
    expect((await loadSettings({ repo }, {})).maintenance).toEqual({ repairEvery: 600_000, lease: 2 * 86_400_000 })
    expect((await loadSettings({ repo }, { VEIL_TEST_MODE: '1' })).maintenance).toEqual(TEST_MODE_MAINTENANCE)
    await writeFile(join(repo, 'config.json'), JSON.stringify({ maintenance: { repairEvery: 'soon' } }))
    await expect(loadSettings({ repo }, {})).rejects.toThrow(/repairEvery.*is not a duration/)
  })

  it('flags > environment > repo config.json > package defaults, key by key', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'repo')
    const defaults = await loadSettings({ repo }, {})
    expect(defaults).toMatchObject({ repo, bootstrap: [], listen: ['/ip4/0.0.0.0/tcp/4001'], replicas: 3, storage: undefined, requireSwarm: false, swarmKeyPath: undefined, api: { host: '127.0.0.1', port: 0 } })

    await mkdir(repo)
    await writeFile(join(repo, 'config.json'), JSON.stringify({ bootstrap: [PEER_A], api: '127.0.0.1:5001', storage: '2GB', requireSwarm: true, swarmKey: 'lab.key' }))
    const fromFile = await loadSettings({ repo }, {})
    expect(fromFile).toMatchObject({ bootstrap: [PEER_A], api: { port: 5001 }, storage: 2 * GiB, requireSwarm: true, swarmKeyPath: join(repo, 'lab.key') })

    const env = { VEIL_BOOTSTRAP: PEER_B, VEIL_API: '[::1]:6001', VEIL_SWARM_KEY: join(dir, 'env.key'), VEIL_FORCE_SWARM: '0' }
    const fromEnv = await loadSettings({ repo }, env)
    expect(fromEnv).toMatchObject({ bootstrap: [PEER_B], api: { host: '::1', port: 6001 }, swarmKeyPath: join(dir, 'env.key'), requireSwarm: false, storage: 2 * GiB })

    const fromFlags = await loadSettings({ repo, bootstrap: [`${PEER_A},${PEER_B}`], api: 'localhost:7001', swarmKey: 'flag.key', storage: GiB }, env)
    expect(fromFlags).toMatchObject({ bootstrap: [PEER_A, PEER_B], api: { host: 'localhost', port: 7001 }, swarmKeyPath: resolve('flag.key'), storage: GiB })

    // VEIL_HOME picks the repo when --repo is absent.
    expect((await loadSettings({}, { VEIL_HOME: repo })).repo).toBe(repo)
  })

  it('uses <repo>/swarm.key when present and nothing else names a key', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'repo')
    await mkdir(repo)
    expect((await loadSettings({ repo }, {})).swarmKeyPath).toBeUndefined()
    await writeSwarmKeyFile(join(repo, 'swarm.key'), createSwarmKey())
    expect((await loadSettings({ repo }, {})).swarmKeyPath).toBe(join(repo, 'swarm.key'))
  })

  it('convergence secret: one per repo (0600, stable), one per swarm when a swarm key is given', async () => {
    const dir = await tempDir()
    const [a, b] = [join(dir, 'a'), join(dir, 'b')]
    await mkdir(a)
    await mkdir(b)
    const first = await convergenceSecret(a)
    expect(first).toHaveLength(32)
    expect(await convergenceSecret(a)).toEqual(first)
    expect((await stat(join(a, 'convergence.secret'))).mode & 0o777).toBe(0o600)
    expect(await convergenceSecret(b)).not.toEqual(first)
    const key = createSwarmKey()
    expect(await convergenceSecret(a, key)).toEqual(await convergenceSecret(b, key))
    expect(await convergenceSecret(a, key)).not.toEqual(await convergenceSecret(a, createSwarmKey()))
  })
})
