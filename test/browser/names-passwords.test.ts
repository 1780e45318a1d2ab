import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { findChromium, launchChromium, type LaunchedBrowser } from '../../scripts/browser.js'
import { startDaemon, MiB, VeilProcess, type Daemon, type RunResult } from '../cli/helpers.js'

/*
 * Mutable, password-protected and expiring links opened in Chromium: a
 * holder node publishes and shares, a second node runs the gateway, and the
 * page resolves the name (the record from GET /name/<cid>, checked and
 * opened in the page), asks for the password (Argon2id in the page), or
 * refuses an expired share.
 */

const chromium = findChromium()

async function run (args: string[], input?: string): Promise<RunResult> {
  const proc = new VeilProcess(args, { cleanup: 'manual', input })
  const timer = setTimeout(() => { void proc.kill() }, 60_000)
  try { return await proc.exited } finally { clearTimeout(timer) }
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

describe.skipIf(chromium === undefined)('mutable, password and expiring links in the gateway page', () => {
  let dir: string
  let holder: Daemon
  let gw: Daemon
  let gatewayUrl: string
  let browser: LaunchedBrowser
  let nameLink: string
  let passwordLink: string
  let expiringLink: string
  let expiresAt: number
  const files: Record<string, Buffer> = {}
  let saved = 0

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'veil-browser-names-'))
    holder = await startDaemon(join(dir, 'holder'), [], { cleanup: 'manual' })
    gw = await startDaemon(join(dir, 'gw'), ['--gateway', '127.0.0.1:0', '--bootstrap', holder.address], { cleanup: 'manual', env: { DEBUG: 'veil:gateway' } })
    gatewayUrl = (await gw.proc.waitFor(/^gateway (http:\/\/\S+)$/m))[1]!
    const json = async (args: string[], input?: string): Promise<Record<string, unknown>> => {
      const result = await run(['--repo', holder.repo, ...args, '--json'], input)
      expect(result.code, result.stderr).toBe(0)
      return JSON.parse(result.stdout) as Record<string, unknown>
    }
    await writeFile(join(dir, 'soon.txt'), 'gone soon')
    const expiring = await json(['share', join(dir, 'soon.txt'), '--replicas', '0', '--expires', '3s', '--gateway-url', gatewayUrl])
    expiringLink = expiring.gatewayLink as string
    expiresAt = Date.parse(expiring.expires as string)
    // Two versions published under one name: the page must open the newer.
    for (const version of [1, 2]) {
      files[`v${version}`] = randomBytes(2 * MiB + version)
      await writeFile(join(dir, 'doc.bin'), files[`v${version}`]!)
      const published = await json(['publish', join(dir, 'doc.bin'), '--as', 'doc', '--replicas', '0'])
      expect(published.sequence).toBe(version)
      nameLink = published.link as string
    }
    files.secret = randomBytes(MiB + 7)
    await writeFile(join(dir, 'secret.bin'), files.secret)
    const locked = await json(['share', join(dir, 'secret.bin'), '--replicas', '0', '--password', '--gateway-url', gatewayUrl], 'correct horse battery staple\n')
    passwordLink = locked.gatewayLink as string
    browser = await launchChromium(chromium!)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await gw?.proc.stop()
    await holder?.proc.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  }, 60_000)

  async function open (link: string, states = 'ready, error'): Promise<Page> {
    const page = await browser.context.newPage()
    await page.goto(link)
    await page.waitForSelector(states.split(', ').map(state => `#app[data-state="${state}"]`).join(', '), { timeout: 60_000 })
    return page
  }

  async function download (page: Page): Promise<Buffer> {
    const button = page.getByRole('button', { name: 'Download', exact: true })
    const [event] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), button.click()])
    const target = join(dir, `saved-${saved++}`)
    await event.saveAs(target)
    return await readFile(target)
  }

  it('opens a mutable link at its newest version (the record checked and opened in the page), SHA-256 identical', async () => {
    const [name, key] = nameLink.slice('veil://'.length).split('#')
    const page = await open(`${gatewayUrl}v/${name}#${key}`)
    expect(await page.locator('#app').getAttribute('data-state'), await page.locator('#app').innerText()).toBe('ready')
    expect(await page.locator('#app').getAttribute('data-version')).toBe('2')
    expect(await page.locator('.meta').innerText()).toContain('version 2')
    expect(sha256(await download(page))).toBe(sha256(files.v2!))
    await page.close()
    // A wrong key for the name: its record does not open.
    const wrong = await open(`${gatewayUrl}v/${name}#${randomBytes(32).toString('base64url')}`)
    expect(await wrong.getByRole('alert').innerText()).toMatch(/record is not valid|does not open/)
    await wrong.close()
  })

  it('asks for the password of a password link, says so when it is wrong, and opens with the right one', async () => {
    expect(passwordLink).toMatch(/#pw1\./)
    const page = await open(passwordLink, 'password')
    const started = performance.now()
    await page.getByLabel('Password').fill('correct horse battery stapler')
    await page.getByRole('button', { name: 'Open' }).click()
    await page.waitForSelector('.unlock-form [role="alert"]', { timeout: 30_000 })
    const wrongMs = performance.now() - started
    expect(await page.locator('.unlock-form').innerText()).toContain('Wrong password')
    const again = performance.now()
    await page.getByLabel('Password').fill('correct horse battery staple')
    await page.getByRole('button', { name: 'Open' }).click()
    await page.waitForSelector('#app[data-state="ready"]', { timeout: 60_000 })
    console.log(`page: Argon2id (64 MiB, 3 passes) and a wrong password answered in ${wrongMs.toFixed(0)} ms; the right one opened the share in ${(performance.now() - again).toFixed(0)} ms`)
    expect(sha256(await download(page))).toBe(sha256(files.secret!))
    await page.close()
  })

  it('refuses a share past its expiry', async () => {
    await new Promise(resolve => setTimeout(resolve, Math.max(0, expiresAt + 50 - Date.now())))
    const page = await open(expiringLink)
    expect(await page.locator('#app').getAttribute('data-error')).toBe('ShareExpiredError')
    expect(await page.getByRole('alert').innerText()).toMatch(/This share has expired/)
    await page.close()
  })

  it('keeps keys and passwords out of the gateway\'s request log', async () => {
    const log = gw.proc.stderr
    expect(log).toMatch(/veil:gateway GET \/name\/bafz\S+ 200/)
    expect(log).toMatch(/veil:gateway GET \/block\/\S+ 200/)
    for (const secret of [nameLink.split('#')[1]!, passwordLink.split('#')[1]!, 'correct horse']) expect(log).not.toContain(secret)
  })
})
