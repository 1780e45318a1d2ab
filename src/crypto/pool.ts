import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { VeilError } from '../errors.js'
import { streamNonce } from './aead.js'

/**
 * Worker threads for a fetch's per-block work: SHA-256 of a received block
 * and its AES-256-GCM decryption. The thread that receives blocks also runs
 * libp2p's Noise decryption and Yamux — the known wall (PLATFORM.md) — so
 * every millisecond of Veil's own work moved off it is throughput. Buffers
 * are transferred, not copied, both ways; a buffer handed in is detached
 * from the caller, and comes back (verify) or is replaced (open).
 */

export class CryptoPoolError extends VeilError {
  override name = 'CryptoPoolError'
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_CRYPTO_POOL', options) }
}

// Plain JavaScript run with `eval`, so the same code works from compiled
// output and from TypeScript sources under the test runner.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createDecipheriv, createHash } = require('node:crypto')
parentPort.on('message', (job) => {
  try {
    const data = job.data
    if (job.op === 'hash') {
      const digest = new Uint8Array(createHash('sha256').update(data).digest())
      parentPort.postMessage({ id: job.id, data, digest }, [data.buffer, digest.buffer])
      return
    }
    let plain = null
    if (data.length >= 16) {
      const decipher = createDecipheriv('aes-256-gcm', job.key, job.nonce, { authTagLength: 16 })
      decipher.setAuthTag(data.subarray(data.length - 16))
      const out = new Uint8Array(data.length - 16)
      out.set(decipher.update(data.subarray(0, data.length - 16)), 0)
      try { decipher.final(); plain = out } catch { plain = null }
    }
    parentPort.postMessage({ id: job.id, data: plain }, plain === null ? [] : [plain.buffer])
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String((err && err.message) || err) })
  }
})
`

interface Reply { id: number, data?: Uint8Array | null, digest?: Uint8Array, error?: string }
interface Pending { resolve: (reply: Reply) => void, reject: (err: Error) => void }

export interface CryptoPoolInit {
  /** Worker threads. Default: available cores, at most 4. */
  threads?: number
}

export class CryptoPool {
  private readonly workers: Worker[]
  private readonly load: number[]
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private closed = false

  constructor (init: CryptoPoolInit = {}) {
    const threads = Math.max(1, init.threads ?? Math.min(4, availableParallelism()))
    this.load = new Array<number>(threads).fill(0)
    this.workers = Array.from({ length: threads }, (_, i) => {
      const worker = new Worker(WORKER_SOURCE, { eval: true })
      // Idle workers must not keep a finished process alive; busy ones must.
      worker.unref()
      worker.on('message', (reply: Reply) => {
        if (--this.load[i]! === 0) worker.unref()
        const pending = this.pending.get(reply.id)
        if (pending === undefined) return
        this.pending.delete(reply.id)
        if (reply.error !== undefined) pending.reject(new CryptoPoolError(`a crypto worker failed: ${reply.error}`))
        else pending.resolve(reply)
      })
      worker.on('error', err => { this.failAll(new CryptoPoolError('a crypto worker crashed', { cause: err })) })
      return worker
    })
  }

  /** SHA-256 of `bytes`; the same bytes come back with it (transferred there and back). */
  async hash (bytes: Uint8Array): Promise<{ bytes: Uint8Array, digest: Uint8Array }> {
    const reply = await this.run({ op: 'hash' }, bytes)
    return { bytes: reply.data!, digest: reply.digest! }
  }

  /** Open a sealed block (STREAM nonce); undefined when authentication fails. */
  async open (key: Uint8Array, index: number, last: boolean, sealed: Uint8Array): Promise<Uint8Array | undefined> {
    const reply = await this.run({ op: 'open', key, nonce: streamNonce(index, last) }, sealed)
    return reply.data ?? undefined
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.failAll(new CryptoPoolError('the crypto pool was closed'))
    // Idle workers are unref'd, and terminate() alone does not keep the event
    // loop alive until their exit events: without this timer the process can
    // run out of work first and this promise never settles.
    const keepAlive = setInterval(() => {}, 1_000)
    try {
      await Promise.all(this.workers.map(async worker => await worker.terminate()))
    } finally {
      clearInterval(keepAlive)
    }
  }

  private async run (job: Record<string, unknown>, data: Uint8Array): Promise<Reply> {
    if (this.closed) throw new CryptoPoolError('the crypto pool is closed')
    const owned = ownsBuffer(data) ? data : data.slice()
    const id = this.nextId++
    let target = 0
    for (let i = 1; i < this.load.length; i++) if (this.load[i]! < this.load[target]!) target = i
    if (this.load[target]!++ === 0) this.workers[target]!.ref()
    return await new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.workers[target]!.postMessage({ ...job, id, data: owned }, [owned.buffer as ArrayBuffer])
    })
  }

  private failAll (err: Error): void {
    for (const pending of this.pending.values()) pending.reject(err)
    this.pending.clear()
  }
}

/** True when `bytes` spans its whole ArrayBuffer, so the buffer can be transferred. */
function ownsBuffer (bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer)
}
