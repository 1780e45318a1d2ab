import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { refuseCodeName, type PushAcceptor, type PutReply, type PutRequest, type WantResult } from '../protocol/index.js'

/**
 * What a node has moved since it started, for an operator's metrics
 * (src/metrics/): blocks and bytes served to peers and fetched from them,
 * pushes accepted and refused (by reason) and the blocks they stored. Plain
 * numbers, counted where the node composes its services, so the protocol
 * code stays as it is.
 */
export class NodeCounters {
  /** Blocks read from the store to answer peers (WANT, and PROVE challenges). */
  blocksServed = 0
  bytesServed = 0
  /** Blocks fetched from peers and verified. */
  blocksFetched = 0
  bytesFetched = 0
  /** PUTs admitted (a storage node). */
  pushesAccepted = 0
  /** PUTs refused at their header, by RefuseCode name (Quota, PeerQuota, NotAccepting, …). */
  readonly pushesRefused = new Map<string, number>()
  /** Blocks pushes stored durably, and their bytes. */
  blocksStored = 0
  bytesStored = 0
  /** Blocks this node pushed in admitted PUTs (placement, repair, renewal), and their bytes: what it uploaded. */
  blocksPushed = 0
  bytesPushed = 0

  /** A PUT this node made: count its blocks as pushed when they were sent (the PUT was admitted). */
  countPush (put: PutRequest, reply: PutReply): void {
    if (!reply.admitted) return
    this.blocksPushed += put.blocks.length
    for (const block of put.blocks) this.bytesPushed += block.bytes.length
  }

  /** `reader` with every block it hands out counted as served. */
  servingReader<T extends { get: (cid: CID, options?: AbortOptions) => Promise<Uint8Array> }> (reader: T): T {
    return new Proxy(reader, {
      get: (target, property) => {
        if (property === 'get') {
          return async (cid: CID, options?: AbortOptions): Promise<Uint8Array> => {
            const bytes = await target.get(cid, options)
            this.blocksServed++
            this.bytesServed += bytes.length
            return bytes
          }
        }
        const value = Reflect.get(target, property, target) as unknown
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      }
    })
  }

  /** `acceptor` with its admissions, refusals and stored blocks counted. */
  countingAcceptor (acceptor: PushAcceptor): PushAcceptor {
    return {
      admit: async (from, header, options) => {
        const admission = await acceptor.admit(from, header, options)
        if (!admission.ok) {
          const reason = refuseCodeName(admission.code)
          this.pushesRefused.set(reason, (this.pushesRefused.get(reason) ?? 0) + 1)
          return admission
        }
        this.pushesAccepted++
        const put = admission.put
        return {
          ...admission,
          put: {
            store: async (pushes, opts) => {
              const results = await put.store(pushes, opts)
              results.forEach((result, i) => {
                if (!result.ok) return
                this.blocksStored++
                this.bytesStored += pushes[i]?.bytes.length ?? 0
              })
              return results
            },
            end: (completed) => { put.end(completed) }
          }
        }
      }
    }
  }

  /** A WANT whose delivered blocks are counted as fetched. */
  async * countingWant (source: AsyncIterable<WantResult>): AsyncGenerator<WantResult> {
    for await (const result of source) {
      if (result.bytes !== undefined) {
        this.blocksFetched++
        this.bytesFetched += result.bytes.length
      }
      yield result
    }
  }
}
