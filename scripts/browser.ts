/**
 * Headless Chromium for the gateway's browser tests and benchmark: Debian's
 * `chromium` driven by playwright-core (never a browser download). Flags
 * keep it off the network (no background requests, updates, sync or QUIC)
 * and work as root (--no-sandbox); each launch gets a fresh profile.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext } from 'playwright-core'

export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--enable-precise-memory-info'
]

/** The Chromium to drive: VEIL_CHROMIUM, else Debian's; undefined when there is none. */
export function findChromium (): string | undefined {
  for (const path of [process.env.VEIL_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (path !== undefined && path !== '' && existsSync(path)) return path
  }
  return undefined
}

export interface LaunchedBrowser {
  /** A context on a fresh profile (downloads accepted). */
  context: BrowserContext
  browser: Browser
  /** Where downloads land before saveAs. */
  downloads: string
  close: () => Promise<void>
}

export async function launchChromium (executablePath: string): Promise<LaunchedBrowser> {
  const { chromium } = await import('playwright-core')
  const profile = await mkdtemp(join(tmpdir(), 'veil-chromium-'))
  const downloads = join(profile, 'downloads')
  // playwright gives each launch a fresh temporary --user-data-dir of its own.
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS, downloadsPath: downloads })
  const context = await browser.newContext({ acceptDownloads: true })
  return {
    context,
    browser,
    downloads,
    close: async () => {
      await browser.close().catch(() => {})
      await rm(profile, { recursive: true, force: true })
    }
  }
}
