import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { findChromium, launchChromium, type LaunchedBrowser } from '../../scripts/browser.js'
import { startDaemon, MiB, VeilProcess, type Daemon, type RunResult } from '../cli/helpers.js'
import { readZip } from './zip.js'
import { pageRun } from '../../scripts/bench/gateway.js'
import { dagCborCid } from '../../src/format/index.js'

/*
 * The gateway link opened in a real browser (Debian's headless Chromium,
 * driven by playwright-core): a holder node has the shares, a second node
 * runs the gateway and fetches their blocks from the swarm on demand, and
 * the page decrypts and saves them. Each saved file's SHA-256 is compared
 * with the original's.
 */

const chromium = findChromium()
if (chromium === undefined) {
  console.warn('browser tests SKIPPED: no Chromium found (install Debian\'s: apt-get install -y chromium; or set VEIL_CHROMIUM). .ci/run installs it.')
}

/** `veil <args>` to completion outside a test (in beforeAll), killed after a minute. */
async function run (args: string[]): Promise<RunResult> {
  const proc = new VeilProcess(args, { cleanup: 'manual' })
  const timer = setTimeout(() => { void proc.kill() }, 60_000)
  try { return await proc.exited } finally { clearTimeout(timer) }
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

interface Shared { link: string, gatewayLink: string, key: string, cid: string }

describe.skipIf(chromium === undefined)('the gateway page in Chromium', () => {
  let dir: string
  let holder: Daemon
  let gw: Daemon
  let gatewayUrl: string
  let browser: LaunchedBrowser
  let big: Shared
  let folder: Shared
  let bigFile: Buffer
  let large: Shared
  let largeSha: string
  const tree: Record<string, Buffer> = {}
  let saved = 0

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'veil-browser-'))
    holder = await startDaemon(join(dir, 'holder'), [], { cleanup: 'manual' })
    gw = await startDaemon(join(dir, 'gw'), ['--gateway', '127.0.0.1:0', '--bootstrap', holder.address], { cleanup: 'manual', env: { DEBUG: 'veil:gateway' } })
    gatewayUrl = (await gw.proc.waitFor(/^gateway (http:\/\/\S+)$/m))[1]!
    bigFile = randomBytes(20 * MiB)
    await writeFile(join(dir, 'big.bin'), bigFile)
    tree['album/a.bin'] = randomBytes(3 * MiB + 17)
    tree['album/notes é.txt'] = Buffer.from('hello from a folder\n')
    tree['album/sub/b.bin'] = randomBytes(MiB + 5)
    tree['album/sub/deeper/c.txt'] = Buffer.from('deeper\n')
    for (const [path, bytes] of Object.entries(tree)) {
      await mkdir(join(dir, path, '..'), { recursive: true })
      await writeFile(join(dir, path), bytes)
    }
    const share = async (path: string): Promise<Shared> => {
      const result = await run(['--repo', holder.repo, 'share', path, '--replicas', '0', '--gateway-url', gatewayUrl, '--json'])
      expect(result.code, result.stderr).toBe(0)
      const doc = JSON.parse(result.stdout) as { link: string, gatewayLink: string, cid: string }
      return { link: doc.link, gatewayLink: doc.gatewayLink, cid: doc.cid, key: doc.link.split('#')[1]! }
    }
    big = await share(join(dir, 'big.bin'))
    folder = await share(join(dir, 'album'))
    const largeFile = randomBytes(64 * MiB)
    largeSha = sha256(largeFile)
    await writeFile(join(dir, 'large.bin'), largeFile)
    large = await share(join(dir, 'large.bin'))
    browser = await launchChromium(chromium!)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await gw?.proc.stop()
    await holder?.proc.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  }, 60_000)

  async function open (link: string): Promise<Page> {
    const page = await browser.context.newPage()
    await page.goto(link)
    await page.waitForSelector('#app[data-state="ready"], #app[data-state="error"]', { timeout: 60_000 })
    return page
  }

  /** Click `name`, wait for the download and save it; returns its name and bytes. */
  async function download (page: Page, name: string, exact = true): Promise<{ name: string, bytes: Buffer, method: string | null, mbps: number }> {
    const button = page.getByRole('button', { name, exact })
    const [event] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), button.click()])
    const target = join(dir, `saved-${saved++}`)
    await event.saveAs(target)
    const panel = page.locator('.download-panel', { has: button })
    await page.waitForFunction(el => el?.getAttribute('data-state') !== 'saving', await panel.elementHandle(), { timeout: 60_000 })
    expect(await panel.getAttribute('data-state'), await panel.innerText()).toBe('saved')
    return { name: event.suggestedFilename(), bytes: await readFile(target), method: await panel.getAttribute('data-method'), mbps: Number(await panel.getAttribute('data-mbps')) }
  }

  it('shows a 20 MiB file\'s name and size, and Download saves it decrypted, SHA-256 identical', async () => {
    expect(big.gatewayLink).toBe(`${gatewayUrl}v/${big.cid}#${big.key}`)
    const page = await open(big.gatewayLink)
    expect(await page.locator('h1').innerText()).toBe('big.bin')
    expect(await page.locator('.meta').innerText()).toContain('20.0 MiB')
    const result = await download(page, 'Download')
    expect(result.name).toBe('big.bin')
    expect(result.bytes.length).toBe(bigFile.length)
    expect(sha256(result.bytes)).toBe(sha256(bigFile))
    expect(result.method).toBe('service-worker')
    console.log(`page decrypted 20 MiB at ${result.mbps} MB/s (gateway fetching from the swarm)`)
    await page.close()
  })

  it('lists a folder, opens a subfolder, and saves one entry and the whole folder as a ZIP', async () => {
    const page = await open(folder.gatewayLink)
    expect(await page.locator('h1').innerText()).toBe('album')
    expect(await page.locator('table.listing').innerText()).toMatch(/a\.bin[\s\S]*notes é\.txt[\s\S]*sub\//)
    const entry = await download(page, 'Download a.bin')
    expect(entry.name).toBe('a.bin')
    expect(sha256(entry.bytes)).toBe(sha256(tree['album/a.bin']!))

    const zip = await download(page, 'Download folder as ZIP')
    expect(zip.name).toBe('album.zip')
    const entries = readZip(zip.bytes)
    const files = Object.fromEntries(entries.filter(e => !e.name.endsWith('/')).map(e => [e.name, sha256(e.data)]))
    expect(files).toEqual(Object.fromEntries(Object.entries(tree).map(([path, bytes]) => [path, sha256(bytes)])))
    expect(entries.map(e => e.name)).toContain('album/sub/deeper/')

    await page.getByRole('link', { name: 'sub/' }).click()
    await page.waitForSelector('h1:text-is("sub")')
    expect(page.url()).not.toContain(folder.key)
    const inner = await download(page, 'Download b.bin')
    expect(sha256(inner.bytes)).toBe(sha256(tree['album/sub/b.bin']!))
    await page.goBack()
    await page.waitForSelector('h1:text-is("album")')
    await page.close()

    // A link with a path inside the folder share opens that entry.
    const deep = await open(`${gatewayUrl}v/${folder.cid}/sub/deeper#${folder.key}`)
    expect(await deep.locator('h1').innerText()).toBe('deeper')
    expect(await deep.locator('table.listing').innerText()).toContain('c.txt')
    await deep.close()
  })

  it('says so when the key is wrong, the link has none, or no node holds the share', async () => {
    const wrongKey = randomBytes(32).toString('base64url')
    let page = await open(`${gatewayUrl}v/${big.cid}#${wrongKey}`)
    expect(await page.locator('#app').getAttribute('data-error')).toBe('KeyMismatchError')
    expect(await page.getByRole('alert').innerText()).toMatch(/Wrong key/)
    await page.close()

    page = await open(`${gatewayUrl}v/${big.cid}`)
    expect(await page.getByRole('alert').innerText()).toMatch(/has no key/)
    await page.close()

    const missing = dagCborCid(randomBytes(64))
    page = await open(`${gatewayUrl}v/${missing.toString()}#${wrongKey}`)
    expect(await page.getByRole('alert').innerText()).toMatch(/Unknown share/)
    await page.close()
  })

  it('stops with "Tampered data" when a block arrives with a flipped byte', async () => {
    const page = await browser.context.newPage()
    let flipped = 0
    await page.route(url => url.pathname.startsWith('/block/') && url.search.startsWith('?in='), async route => {
      const response = await route.fetch()
      const body = await response.body()
      if (flipped++ === 3) body[body.length >> 1]! ^= 0x01
      await route.fulfill({ response, body })
    })
    await page.goto(big.gatewayLink)
    await page.waitForSelector('#app[data-state="ready"]')
    await page.getByRole('button', { name: 'Download', exact: true }).click()
    const panel = page.locator('.download-panel')
    await page.waitForFunction(el => el?.getAttribute('data-state') === 'error', await panel.elementHandle(), { timeout: 60_000 })
    expect(await panel.getAttribute('data-error')).toBe('BlockHashMismatchError')
    expect(await panel.innerText()).toMatch(/Tampered data/)
    await page.close()
  })

  it('keeps the page\'s memory flat: saving 64 MiB peaks far below the file (Chromium\'s heap and ArrayBuffer figures)', async () => {
    const run = await pageRun(browser, large.gatewayLink, largeSha)
    expect(run.bytes).toBe(64 * MiB)
    // Measured: 11.5 MB for 16 MiB, 20.9 MB for 1 GiB (npm run bench:gateway); a page that kept the file would pass 64 MiB.
    expect(run.peakHeap, `peak ${(run.peakHeap / MiB).toFixed(1)} MiB`).toBeLessThan(32 * MiB)
  })

  it('keeps the key out of the gateway\'s request log', async () => {
    const log = gw.proc.stderr
    expect(log).toMatch(/veil:gateway GET \/v\/\S+ 200/)
    expect(log).toMatch(/veil:gateway GET \/block\/\S+ 200/)
    for (const key of [big.key, folder.key, large.key]) expect(log).not.toContain(key)
    expect(log).not.toContain('#')
    expect(log).not.toMatch(/notes|album|big\.bin|sub\/|deeper/) // no names, nor the path after a share's CID
  })
})
