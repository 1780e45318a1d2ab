import type { CID } from 'multiformats/cid'
import { parseLink, formatGatewayLink, isNameCid } from '../link/index.js'
import type { FolderEntry } from '../format/portable.js'
import { KeyRequiredError, ShareStructureError } from '../errors.js'
import { gatewayFetcher, openPageShare, plaintext, readListing, type BlockFetcher, type PageShare } from './reader.js'
import { planZip, readChunks, zipStream } from './folder.js'
import { saveStream } from './save.js'
import { describeError } from './messages.js'
import { el, formatSize } from './dom.js'
import { resolvePageName } from './names.js'
import { askPassword } from './unlock.js'

/*
 * The gateway page: reads the key from location.hash (never sent to any
 * server), opens the share with the format code the CLI uses, shows what it
 * is, and saves it decrypted, block by block. A folder shows its listing;
 * subfolders open in place (their own link goes into the address bar, the
 * key again only in the fragment).
 */

interface Trail { name: string, href: string }

const blocks: BlockFetcher = gatewayFetcher()

export function startPage (): void {
  window.addEventListener('popstate', () => { void route() })
  window.addEventListener('hashchange', () => { void route() })
  void route()
}

let current: AbortController | undefined
/** Keys unlocked with a password in this tab, by fragment (going back up a folder does not ask again). */
const unlocked = new Map<string, Uint8Array>()

async function route (): Promise<void> {
  current?.abort()
  const controller = new AbortController()
  current = controller
  const app = document.getElementById('app')!
  setState(app, 'opening')
  app.replaceChildren(el('p', { className: 'status' }, 'Opening the share…'))
  try {
    const link = parseLink(location.href, { allowPath: true, allowName: true, allowPassword: true })
    let linkKey = link.key
    if (link.lock !== undefined) {
      linkKey = unlocked.get(location.hash) ?? await askPassword(app, link.lock, controller.signal)
      unlocked.set(location.hash, linkKey)
      setState(app, 'opening')
      app.replaceChildren(el('p', { className: 'status' }, 'Opening the share…'))
    }
    if (linkKey === undefined) throw new KeyRequiredError()
    // A mutable link: its record, checked and opened here, names the share it points to now.
    let version: number | undefined
    let rootCid = link.cid
    if (isNameCid(link.cid)) {
      const resolved = await resolvePageName(link.cid, linkKey, controller.signal)
      rootCid = resolved.root
      linkKey = resolved.key
      version = resolved.sequence
    }
    let share = await openPageShare(rootCid, linkKey, blocks, controller.signal)
    let key = linkKey
    if (version !== undefined) app.dataset.version = String(version)
    else delete app.dataset.version
    const trail: Trail[] = (history.state as { trail?: Trail[] } | null)?.trail ?? []
    for (const name of link.path ?? []) {
      if (share.meta.kind !== 'folder') throw new ShareStructureError(`"${name}" is inside a file, not a folder: check the link's path`)
      const entry = (await readListing(share, blocks, controller.signal)).find(e => e.name === name)
      if (entry === undefined) throw new ShareStructureError(`this folder has no entry named "${name}": check the link's path`)
      share = await openPageShare(entry.cid, entry.key, blocks, controller.signal)
      key = entry.key
    }
    if (controller.signal.aborted) return
    if (share.meta.kind === 'folder') await showFolder(app, share, key, trail, controller.signal, version)
    else showFile(app, share, version)
  } catch (err) {
    if (controller.signal.aborted) return
    showError(app, err)
  }
}

function setState (app: HTMLElement, state: string): void {
  app.dataset.state = state
}

function showError (app: HTMLElement, err: unknown): void {
  const { title, detail } = describeError(err)
  setState(app, 'error')
  app.dataset.error = (err as Error)?.name ?? 'Error'
  app.replaceChildren(el('div', { className: 'error', role: 'alert' }, el('h2', {}, title), el('p', {}, detail)))
}

function header (name: string, line: string): HTMLElement {
  return el('header', {},
    el('h1', { className: 'name' }, name),
    el('p', { className: 'meta' }, line))
}

/** " · version 3 · expires 2026-12-08": what a link's header adds after the size. */
function extras (share: PageShare, version: number | undefined): string {
  const parts = version === undefined ? [] : [`version ${version}`]
  if (share.meta.expires !== undefined) parts.push(`expires ${new Date(share.meta.expires).toISOString().slice(0, 16).replace('T', ' ')} UTC`)
  return parts.map(part => ` · ${part}`).join('')
}

function showFile (app: HTMLElement, share: PageShare, version?: number): void {
  setState(app, 'ready')
  const panel = downloadPanel(share.meta.name, share.meta.size, signal => plaintext(share, blocks, { signal, onBytes: panel.progress }))
  app.replaceChildren(header(share.meta.name, `${formatSize(share.meta.size)}${share.meta.mediaType === '' ? '' : ` · ${share.meta.mediaType}`}${extras(share, version)}`), panel.element)
}

async function showFolder (app: HTMLElement, share: PageShare, key: Uint8Array, trail: Trail[], signal: AbortSignal, version?: number): Promise<void> {
  const entries = await readListing(share, blocks, signal)
  const here: Trail = { name: share.meta.name, href: location.pathname + location.hash }
  const crumbs = el('nav', { className: 'trail' }, ...trail.flatMap(step => [folderLink(step.name, step.href, trail.slice(0, trail.indexOf(step))), ' / ']), share.meta.name)
  const zip = downloadPanel(`${share.meta.name}.zip`, undefined, (signal, panel) => zipChunks(share, panel, signal), 'Download folder as ZIP', 'Download folder as ZIP')
  // An entry's size is a file's, or a folder's total of its files (as its listing declares).
  const total = entries.reduce((sum, entry) => sum + entry.size, 0)
  const rows = entries.map(entry => entryRow(share, entry, [...trail, here]))
  const table = el('table', { className: 'listing' },
    el('thead', {}, el('tr', {}, el('th', {}, 'Name'), el('th', {}, 'Size'), el('th', {}, ''))),
    el('tbody', {}, ...rows))
  setState(app, 'ready')
  app.replaceChildren(
    trail.length > 0 ? crumbs : el('span'),
    header(share.meta.name, `folder of ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'} · ${formatSize(total)}${extras(share, version)}`),
    zip.element,
    entries.length === 0 ? el('p', {}, 'This folder is empty.') : table)
  void key
}

/** The entry's own gateway link, on this gateway (the key only in the fragment). */
function entryHref (cid: CID, key: Uint8Array): string {
  const link = new URL(formatGatewayLink({ cid, key }, location.origin))
  return link.pathname + link.hash
}

function folderLink (name: string, href: string, trail: Trail[]): HTMLElement {
  const link = el('a', { href }, name)
  link.addEventListener('click', event => {
    event.preventDefault()
    history.pushState({ trail }, '', href)
    void route()
  })
  return link
}

function entryRow (parent: PageShare, entry: FolderEntry, trail: Trail[]): HTMLElement {
  const href = entryHref(entry.cid, entry.key)
  if (entry.kind === 'folder') {
    return el('tr', { className: 'folder' },
      el('td', {}, folderLink(`${entry.name}/`, href, trail)),
      el('td', {}, formatSize(entry.size)),
      el('td', {}))
  }
  const panel = downloadPanel(entry.name, entry.size, async function * (signal) {
    const share = await openPageShare(entry.cid, entry.key, blocks, signal)
    if (share.meta.kind !== 'file' || share.meta.size !== entry.size) throw new ShareStructureError(`${entry.name} does not match its folder entry (kind or size): the share was altered`)
    yield * plaintext(share, blocks, { signal, onBytes: panel.progress })
  }, `Download ${entry.name}`, 'Download')
  void parent
  return el('tr', { className: 'file' }, el('td', {}, entry.name), el('td', {}, formatSize(entry.size)), el('td', {}, panel.element))
}

async function * zipChunks (share: PageShare, panel: Panel, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  panel.say('Reading the folder tree…')
  const plan = await planZip(share, blocks, undefined, signal)
  panel.total(plan.bytes)
  yield * readChunks(zipStream(plan, blocks, panel.progress, signal))
}

interface Panel {
  element: HTMLElement
  progress: (bytes: number) => void
  total: (bytes: number) => void
  say: (text: string) => void
}

/** A Download button, a progress bar and a status line, saving what `source` yields. */
function downloadPanel (name: string, size: number | undefined, source: (signal: AbortSignal, panel: Panel) => AsyncIterable<Uint8Array>, label = 'Download', text = 'Download'): Panel {
  const button = el('button', { type: 'button', className: 'download' }, text)
  if (label !== text) button.setAttribute('aria-label', label)
  const bar = el('progress', { max: 1, value: 0, hidden: true })
  const status = el('p', { className: 'progress-text', role: 'status' })
  const element = el('div', { className: 'download-panel' }, button, bar, status)
  let done = 0
  let total = size
  let started = 0
  let lastPaint = 0
  const paint = (force = false): void => {
    const now = performance.now()
    if (!force && now - lastPaint < 100) return
    lastPaint = now
    const seconds = (now - started) / 1000
    const rate = seconds > 0 ? done / 1e6 / seconds : 0
    if (total !== undefined && total > 0) { bar.max = total; bar.value = done }
    status.textContent = `${formatSize(done)}${total === undefined ? '' : ` of ${formatSize(total)}`} · ${rate.toFixed(1)} MB/s`
  }
  const panel: Panel = {
    element,
    progress: bytes => { done += bytes; paint() },
    total: bytes => { total = bytes },
    say: line => { status.textContent = line }
  }
  button.addEventListener('click', () => {
    button.disabled = true
    bar.hidden = false
    done = 0
    started = performance.now()
    element.dataset.state = 'saving'
    const controller = new AbortController()
    saveStream(name, size, source(controller.signal, panel), controller.signal).then(method => {
      const seconds = (performance.now() - started) / 1000
      const rate = done / 1e6 / Math.max(seconds, 1e-3)
      paint(true)
      element.dataset.state = 'saved'
      element.dataset.bytes = String(done)
      element.dataset.seconds = seconds.toFixed(3)
      element.dataset.mbps = rate.toFixed(1)
      element.dataset.method = method
      status.textContent = `Saved ${name}: ${formatSize(done)} decrypted in ${seconds.toFixed(1)} s (${rate.toFixed(1)} MB/s)`
      button.disabled = false
    }, (err: unknown) => {
      controller.abort()
      const { title, detail } = describeError(err)
      element.dataset.state = 'error'
      element.dataset.error = (err as Error)?.name ?? 'Error'
      status.replaceChildren(el('span', { className: 'error', role: 'alert' }, `${title} ${detail}`))
      button.disabled = false
    })
  })
  return panel
}
