import type { FromPage, FromWorker, ToWorker } from './save.js'
import { DOWNLOAD_SCOPE } from './save.js'

/*
 * The download service worker (the same bundle, registered with scope
 * /_veil/dl/). The page announces a download over a MessagePort, then opens
 * /_veil/dl/<id>/<name> in a hidden frame; this worker answers that request
 * with a streamed attachment whose chunks it pulls from the page one at a
 * time. It never sees a key, only plaintext chunks bound for the disk.
 */

interface ExtendableEvent extends Event { waitUntil: (promise: Promise<unknown>) => void }
interface FetchEvent extends ExtendableEvent { request: Request, respondWith: (response: Response | Promise<Response>) => void }
interface WorkerMessageEvent extends ExtendableEvent { data: ToWorker, ports: readonly MessagePort[] }
interface WorkerScope {
  addEventListener: ((type: 'install' | 'activate', listener: (event: ExtendableEvent) => void) => void) &
  ((type: 'fetch', listener: (event: FetchEvent) => void) => void) &
  ((type: 'message', listener: (event: WorkerMessageEvent) => void) => void)
  skipWaiting: () => Promise<void>
  clients: { claim: () => Promise<void> }
}

interface Pending { port: MessagePort, name: string, size?: number, at: number }

/** Downloads announced and not yet requested are dropped after this. */
const PENDING_MS = 60_000

export function startServiceWorker (scope: WorkerScope): void {
  const pending = new Map<string, Pending>()

  scope.addEventListener('install', event => { event.waitUntil(scope.skipWaiting()) })
  scope.addEventListener('activate', event => { event.waitUntil(scope.clients.claim()) })
  scope.addEventListener('message', event => {
    const message = event.data
    if (message.type !== 'veil-download' || !/^[0-9a-f]{32}$/.test(message.id)) return
    const port = event.ports[0]
    if (port === undefined) return
    const now = Date.now()
    for (const [id, old] of pending) if (now - old.at > PENDING_MS) { old.port.close(); pending.delete(id) }
    pending.set(message.id, { port, name: message.name, size: message.size, at: now })
    port.postMessage({ type: 'ready' } satisfies FromWorker)
  })
  scope.addEventListener('fetch', event => {
    const url = new URL(event.request.url)
    if (!url.pathname.startsWith(DOWNLOAD_SCOPE)) return
    const id = url.pathname.slice(DOWNLOAD_SCOPE.length).split('/')[0] ?? ''
    const entry = pending.get(id)
    if (entry === undefined) {
      event.respondWith(new Response('This download has expired: go back to the page and click Download again.', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } }))
      return
    }
    pending.delete(id)
    event.respondWith(new Response(pullStream(entry.port), { headers: attachmentHeaders(entry.name, entry.size) }))
  })
}

function pullStream (port: MessagePort): ReadableStream<Uint8Array> {
  let waiting: { resolve: (message: FromPage) => void } | undefined
  port.onmessage = (event: MessageEvent<FromPage>) => { waiting?.resolve(event.data); waiting = undefined }
  return new ReadableStream<Uint8Array>({
    async pull (controller) {
      const message = await new Promise<FromPage>(resolve => {
        waiting = { resolve }
        port.postMessage({ type: 'pull' } satisfies FromWorker)
      })
      if (message.type === 'chunk') controller.enqueue(message.data)
      else if (message.type === 'done') { controller.close(); port.close() } else { controller.error(new Error(message.message)); port.close() }
    },
    cancel () {
      port.postMessage({ type: 'cancel' } satisfies FromWorker)
      port.close()
    }
  }, { highWaterMark: 4 })
}

function attachmentHeaders (name: string, size: number | undefined): Headers {
  const headers = new Headers({
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\%]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`,
    'X-Content-Type-Options': 'nosniff'
  })
  if (size !== undefined) headers.set('Content-Length', String(size))
  return headers
}
