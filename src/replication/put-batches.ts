import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { MAX_BLOCKS_PER_PUT } from '../protocol/index.js'

/** Bytes per PUT when placing a unit. */
export const PUT_BYTES = 8 * 1024 * 1024

/**
 * PUTs of one unit to one peer (or chain) under way at once by default.
 * More lets the next PUT travel while the peer stores the last durably;
 * measured on the 2-core machine under load (docs/benchmarks.md, "Chain
 * replication"), 2, 4 or 8 at once (of 2–8 MiB) made no difference, so one.
 */
export const PUTS_IN_FLIGHT = 1

/**
 * Send a unit's blocks and then its node (`cids`, the node last) in PUTs of
 * at most `limit` bytes and MAX_BLOCKS_PER_PUT blocks, up to `window` PUTs
 * at once — except the last, which carries the unit node: it goes only once
 * every earlier PUT was acknowledged, so a node that holds the unit node
 * holds every block before it. `send` throws to stop; the first failure is
 * rethrown once every PUT under way has ended.
 */
export async function sendInPuts (cids: CID[], read: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>, send: (batch: Array<{ cid: CID, bytes: Uint8Array }>) => Promise<void>, options: AbortOptions & { limit?: number, window?: number } = {}): Promise<void> {
  const limit = options.limit ?? PUT_BYTES
  const window = Math.max(1, options.window ?? PUTS_IN_FLIGHT)
  const inFlight: Array<Promise<void>> = []
  const settle = async (): Promise<void> => {
    try {
      while (inFlight.length > 0) await inFlight.shift()
    } catch (err) {
      await Promise.allSettled(inFlight.splice(0))
      throw err
    }
  }
  let batch: Array<{ cid: CID, bytes: Uint8Array }> = []
  let bytes = 0
  try {
    for (const cid of cids) {
      const data = await read(cid, options)
      if (batch.length > 0 && (bytes + data.length > limit || batch.length >= MAX_BLOCKS_PER_PUT)) {
        const put = send(batch)
        put.catch(() => {})
        inFlight.push(put)
        batch = []
        bytes = 0
        if (inFlight.length >= window) {
          try {
            await inFlight.shift()
          } catch (err) {
            await Promise.allSettled(inFlight.splice(0))
            throw err
          }
        }
      }
      batch.push({ cid, bytes: data })
      bytes += data.length
    }
  } catch (err) {
    await Promise.allSettled(inFlight.splice(0))
    throw err
  }
  await settle()
  await send(batch)
}
