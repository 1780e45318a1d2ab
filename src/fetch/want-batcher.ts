import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { WantResult } from '../protocol/index.js'
import { anySignal } from '../util/index.js'

type Want = (peer: PeerId, cids: CID[], options?: AbortOptions) => AsyncIterable<WantResult>

interface Request {
  cid: CID
  signal?: AbortSignal
  resolve: (bytes: Uint8Array | undefined) => void
  reject: (err: unknown) => void
}

/**
 * Groups the blocks asked of one peer in the same tick into one WANT (one
 * stream, up to `maxBatch` blocks): a stream per block cost a stream open, a
 * request frame, two half-closes and fresh flow-control windows per MiB, on
 * the thread that also decrypts Noise. Each caller still gets its own block
 * (or its own error) as soon as that block arrives.
 */
export class WantBatcher {
  private pending: Request[] = []
  private scheduled = false

  constructor (private readonly peer: PeerId, private readonly want: Want, private readonly maxBatch = 4) {}

  async request (cid: CID, options: AbortOptions = {}): Promise<Uint8Array | undefined> {
    options.signal?.throwIfAborted()
    return await new Promise((resolve, reject) => {
      this.pending.push({ cid, signal: options.signal, resolve, reject })
      if (this.pending.length >= this.maxBatch) this.flush()
      else if (!this.scheduled) {
        this.scheduled = true
        queueMicrotask(() => { this.flush() })
      }
    })
  }

  private flush (): void {
    this.scheduled = false
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch)
      void this.send(batch)
    }
  }

  private async send (batch: Request[]): Promise<void> {
    let next = 0
    try {
      const signal = anySignal(...batch.map(r => r.signal))
      for await (const result of this.want(this.peer, batch.map(r => r.cid), { signal })) {
        const request = batch[next++]
        if (request === undefined) break
        request.resolve(result.bytes)
      }
      // A peer that ended early answered nothing for the rest.
      for (; next < batch.length; next++) batch[next]!.reject(new Error('the peer closed the stream before answering'))
    } catch (err) {
      for (; next < batch.length; next++) batch[next]!.reject(err)
    }
  }
}
