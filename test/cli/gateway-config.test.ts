import { describe, it, expect } from 'vitest'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseGatewayListen, isLoopbackAddress } from '../../src/cli/config-checks.js'
import { loadSettings } from '../../src/cli/config.js'
import { tempDir } from '../helpers/files.js'
import { VeilProcess, veil, LOOPBACK, startDaemon } from './helpers.js'

describe('gateway settings', () => {
  it('reads "gateway" as the listen address and "gatewayUrl" as the links\' address; a URL in "gateway" still means gatewayUrl', async () => {
    const repo = join(await tempDir(), 'repo')
    await mkdir(repo)
    expect(await loadSettings({ repo }, {})).toMatchObject({ gatewayListen: undefined, gatewayUrl: undefined })

    await writeFile(join(repo, 'config.json'), JSON.stringify({ gateway: '127.0.0.1:8080', gatewayUrl: 'https://gw.example/' }))
    expect(await loadSettings({ repo }, {})).toMatchObject({ gatewayListen: { host: '127.0.0.1', port: 8080 }, gatewayUrl: 'https://gw.example', gateway: 'https://gw.example' })

    await writeFile(join(repo, 'config.json'), JSON.stringify({ gateway: 'https://old.example' }))
    expect(await loadSettings({ repo }, {})).toMatchObject({ gatewayListen: undefined, gatewayUrl: 'https://old.example' })
    // Flags and the environment come first; VEIL_GATEWAY is the old name of VEIL_GATEWAY_URL.
    expect((await loadSettings({ repo }, { VEIL_GATEWAY: 'http://127.0.0.1:9' })).gatewayUrl).toBe('http://127.0.0.1:9')
    expect((await loadSettings({ repo }, { VEIL_GATEWAY_URL: 'http://a.example', VEIL_GATEWAY: 'http://b.example' })).gatewayUrl).toBe('http://a.example')
    expect((await loadSettings({ repo, gatewayUrl: 'https://flag.example' }, {})).gatewayUrl).toBe('https://flag.example')
    expect((await loadSettings({ repo, gatewayListen: '9090' }, {})).gatewayListen).toEqual({ host: '127.0.0.1', port: 9090 })

    await writeFile(join(repo, 'config.json'), JSON.stringify({ gateway: 'nonsense' }))
    await expect(loadSettings({ repo }, {})).rejects.toThrow(/"gateway" in .* must be host:port/)
  })

  it('parses listen addresses: host:port, [v6]:port, a bare port on 127.0.0.1; never a URL', () => {
    expect(parseGatewayListen('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 })
    expect(parseGatewayListen('[::1]:8080')).toEqual({ host: '::1', port: 8080 })
    expect(parseGatewayListen(':8080')).toEqual({ host: '127.0.0.1', port: 8080 })
    expect(() => parseGatewayListen('http://127.0.0.1:8080')).toThrow(/is a URL/)
    expect(isLoopbackAddress('127.0.0.1')).toBe(true)
    expect(isLoopbackAddress('::1')).toBe(true)
    expect(isLoopbackAddress('0.0.0.0')).toBe(false)
    expect(isLoopbackAddress('192.0.2.1')).toBe(false)
  })

  it('node start --gateway prints the gateway line and its URL in --json; a URL there is a usage error', async () => {
    const repo = join(await tempDir(), 'repo')
    const proc = new VeilProcess(['--repo', repo, 'node', 'start', '--listen', LOOPBACK, '--gateway', '127.0.0.1:0', '--json'])
    await proc.waitFor(/"gateway":"http:\/\/127\.0\.0\.1:\d+\/"/)
    const doc = JSON.parse(proc.stdout.trim().split('\n')[0]!) as { gateway: string }
    const page = await fetch(new URL('/_veil/veil.js', doc.gateway))
    expect(page.status).toBe(200)
    await proc.stop()

    const bad = await veil(['--repo', repo, 'node', 'start', '--listen', LOOPBACK, '--gateway', 'http://127.0.0.1:8080'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/is a URL/)
  })
})

describe('share with a gateway URL', () => {
  it('prints the gateway form of the link to open in a browser, and --json carries it as gatewayLink', async () => {
    const dir = await tempDir()
    const daemon = await startDaemon(join(dir, 'repo'))
    await writeFile(join(dir, 'a.txt'), 'hello\n')
    const human = await veil(['--repo', daemon.repo, 'share', join(dir, 'a.txt'), '--replicas', '0', '--gateway-url', 'https://gw.example/'])
    expect(human.code, human.stderr).toBe(0)
    const lines = human.stdout.trim().split('\n')
    const link = lines.at(-1)!
    expect(link).toMatch(/^veil:\/\//)
    const [body, key] = link.split('#')
    expect(lines).toContain(`open in a browser: https://gw.example/v/${body!.slice('veil://'.length)}#${key!}`)
    const json = await veil(['--repo', daemon.repo, 'share', join(dir, 'a.txt'), '--replicas', '0', '--json'], { env: { VEIL_GATEWAY_URL: 'http://127.0.0.1:8080' } })
    const doc = JSON.parse(json.stdout) as { gatewayLink: string, links: { gateway: string } }
    expect(doc.gatewayLink).toMatch(/^http:\/\/127\.0\.0\.1:8080\/v\/b[a-z2-7]+#[A-Za-z0-9_-]{43}$/)
    expect(doc.links.gateway).toBe(doc.gatewayLink)
    const none = JSON.parse((await veil(['--repo', daemon.repo, 'share', join(dir, 'a.txt'), '--replicas', '0', '--json'])).stdout) as { gatewayLink: unknown }
    expect(none.gatewayLink).toBeNull()
  })
})
