import { SaveUnsupportedError } from './errors.js'

/*
 * Saving a stream of plaintext under a name without holding it in memory:
 *
 * 1. a service worker (the same bundle, scope /_veil/dl/) answers a hidden
 *    frame's request with a streamed response marked as an attachment, and
 *    pulls each chunk from the page over a MessagePort as the browser's
 *    download manager writes it to disk (backpressure: one chunk at a time);
 * 2. else the File System Access API (a save dialog, then a writable file);
 * 3. else a Blob, only for files up to BLOB_LIMIT.
 */

export type SaveMethod = 'service-worker' | 'file-system' | 'blob'

/** Largest file saved through a Blob (it is held in memory). */
export const BLOB_LIMIT = 256 * 1024 * 1024

export const DOWNLOAD_SCOPE = '/_veil/dl/'
export const BUNDLE_PATH = '/_veil/veil.js'

/** Messages between the page and the service worker. */
export type ToWorker =
  | { type: 'veil-download', id: string, name: string, size?: number }
  | { type: 'veil-ping' }
export type FromPage =
  | { type: 'chunk', data: Uint8Array }
  | { type: 'done' }
  | { type: 'error', message: string }
export type FromWorker = { type: 'ready' } | { type: 'pull' } | { type: 'cancel' }

interface SaveFilePickerWindow {
  showSaveFilePicker?: (options: { suggestedName: string }) => Promise<{ createWritable: () => Promise<{ write: (data: Uint8Array) => Promise<void>, close: () => Promise<void>, abort: () => Promise<void> }> }>
}

/** Save `chunks` as a file named `name` (`size` bytes when known); resolves once every chunk was handed over. */
export async function saveStream (name: string, size: number | undefined, chunks: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<SaveMethod> {
  if (window.isSecureContext && 'serviceWorker' in navigator) {
    const worker = await downloadWorker().catch(() => undefined)
    if (worker !== undefined) {
      await saveThroughWorker(worker, name, size, chunks, signal)
      return 'service-worker'
    }
  }
  const picker = (window as unknown as SaveFilePickerWindow).showSaveFilePicker
  if (picker !== undefined) {
    const handle = await picker({ suggestedName: name })
    const file = await handle.createWritable()
    try {
      for await (const chunk of chunks) await file.write(chunk)
      await file.close()
    } catch (err) {
      await file.abort().catch(() => {})
      throw err
    }
    return 'file-system'
  }
  if (size === undefined || size > BLOB_LIMIT) {
    throw new SaveUnsupportedError('this browser cannot save a large file as a stream (no service worker, no File System Access): use another browser, or the veil command line (`veil get <link>`)')
  }
  const parts: Uint8Array[] = []
  for await (const chunk of chunks) parts.push(chunk)
  const url = URL.createObjectURL(new Blob(parts as BlobPart[], { type: 'application/octet-stream' }))
  const link = document.createElement('a')
  link.href = url
  link.download = name
  link.rel = 'noopener'
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => { URL.revokeObjectURL(url) }, 60_000)
  return 'blob'
}

let registration: Promise<ServiceWorker> | undefined

/** The active download worker, registered on first use. */
async function downloadWorker (): Promise<ServiceWorker> {
  registration ??= (async () => {
    const reg = await navigator.serviceWorker.register(BUNDLE_PATH, { scope: DOWNLOAD_SCOPE })
    const worker = reg.active ?? reg.waiting ?? reg.installing
    if (worker === null) throw new SaveUnsupportedError('the download worker did not install')
    if (worker.state === 'activated') return worker
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new SaveUnsupportedError('the download worker did not start in time')) }, 10_000)
      worker.addEventListener('statechange', () => {
        if (worker.state === 'activated') { clearTimeout(timer); resolve() }
        if (worker.state === 'redundant') { clearTimeout(timer); reject(new SaveUnsupportedError('the download worker failed to start')) }
      })
    })
    return worker
  })()
  registration.catch(() => { registration = undefined })
  return await registration
}

function randomId (): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map(b => b.toString(16).padStart(2, '0')).join('')
}

async function saveThroughWorker (worker: ServiceWorker, name: string, size: number | undefined, chunks: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
  const id = randomId()
  const channel = new MessageChannel()
  const port = channel.port1
  const iterator = chunks[Symbol.asyncIterator]()
  const frame = document.createElement('iframe')
  frame.hidden = true
  // Service workers end after ~30 s without events: keep it awake while the download runs.
  const ping = setInterval(() => { worker.postMessage({ type: 'veil-ping' } satisfies ToWorker) }, 10_000)
  try {
    await new Promise<void>((resolve, reject) => {
      let ready = false
      const send = (message: FromPage, transfer: Transferable[] = []): void => { port.postMessage(message, transfer) }
      const fail = (err: unknown): void => {
        send({ type: 'error', message: err instanceof Error ? err.message : String(err) })
        reject(err)
      }
      signal?.addEventListener('abort', () => { void iterator.return?.(); fail(signal.reason) }, { once: true })
      port.onmessage = (event: MessageEvent<FromWorker>) => {
        const message = event.data
        if (message.type === 'ready' && !ready) {
          ready = true
          frame.src = `${DOWNLOAD_SCOPE}${id}/${encodeURIComponent(name)}`
          document.body.append(frame)
        } else if (message.type === 'pull') {
          iterator.next().then(next => {
            if (next.done === true) {
              send({ type: 'done' })
              resolve()
              return
            }
            // Transfer, not copy; a view into a larger buffer is copied first.
            const data = next.value.byteOffset === 0 && next.value.byteLength === next.value.buffer.byteLength ? next.value : next.value.slice()
            send({ type: 'chunk', data }, [data.buffer as ArrayBuffer])
          }, fail)
        } else if (message.type === 'cancel') {
          void iterator.return?.()
          reject(new DOMException('the download was cancelled', 'AbortError'))
        }
      }
      worker.postMessage({ type: 'veil-download', id, name, size } satisfies ToWorker, [channel.port2])
    })
  } finally {
    clearInterval(ping)
    port.onmessage = null
    // Leave the frame a moment: removing it at once may cancel the last bytes' delivery.
    setTimeout(() => { frame.remove(); port.close() }, 30_000)
  }
}
