import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import type { Stream } from '@libp2p/interface'
import type { VeilNode } from '../../src/node/index.js'
import { frameStream } from '../../src/protocol/frames.js'
import { MAX_FRAME, MessageType } from '../../src/protocol/codec.js'
import { blockHeader, decodeRequest, encodeError } from '../../src/protocol/messages.js'
import { ErrorCode } from '../../src/protocol/wire.js'

/**
 * How a hostile holder answers a WANT:
 * - lie: every block with one bit flipped (the CID no longer matches)
 * - truncate: a BLOCK frame that announces the whole block, half of it, then silence
 * - truncate-close: half of the block, then the stream is closed
 * - endless: an unterminated length prefix (0xff…)
 * - giant: a prefix announcing 100 MiB, then junk
 * - trickle: the answer at 1 byte/s
 * - busy: "busy, retry later" (ERROR Limit) to every WANT, forever
 */
export type Hostility = 'lie' | 'truncate' | 'truncate-close' | 'endless' | 'giant' | 'trickle' | 'busy'

function frame (parts: Uint8Array[]): Uint8Array {
  const body = new Uint8ArrayList(...parts).subarray()
  return Uint8Array.from([...varint.encode(body.length), ...body])
}

async function serveHostile (node: VeilNode, stream: Stream, how: Hostility, asked: () => void): Promise<void> {
  const lp = frameStream(stream, 4 * MAX_FRAME)
  const request = decodeRequest(await lp.read({ signal: AbortSignal.timeout(10_000) }))
  if (request.type !== MessageType.Want) { stream.abort(new Error('not a want')); return }
  asked()
  if (how === 'busy') {
    await lp.write(encodeError(ErrorCode.Limit, 'busy')).catch(() => {})
    await stream.close().catch(() => {})
    return
  }
  const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
  try {
    for (const cid of request.cids) {
      const bytes = await node.store.get(cid)
      const honest = frame([blockHeader(MessageType.Block, cid), bytes])
      switch (how) {
        case 'lie': {
          const bad = bytes.slice()
          bad[bad.length >> 1]! ^= 0x10
          stream.send(frame([blockHeader(MessageType.Block, cid), bad]))
          break
        }
        case 'truncate':
          stream.send(honest.subarray(0, honest.length >> 1))
          await sleep(60_000) // until the fetcher gives up and resets
          return
        case 'truncate-close':
          stream.send(honest.subarray(0, honest.length >> 1))
          await stream.close()
          return
        case 'endless':
          for (let i = 0; i < 64 && stream.status === 'open'; i++) {
            if (!stream.send(new Uint8Array(64 * 1024).fill(0xff))) await stream.onDrain({ signal: AbortSignal.timeout(5_000) })
          }
          return
        case 'giant':
          stream.send(varint.encode(100 * 1024 * 1024))
          for (let i = 0; i < 64 && stream.status === 'open'; i++) {
            if (!stream.send(new Uint8Array(64 * 1024).fill(0xab))) await stream.onDrain({ signal: AbortSignal.timeout(5_000) })
          }
          return
        case 'trickle':
          for (let i = 0; i < honest.length && stream.status === 'open'; i++) {
            stream.send(honest.subarray(i, i + 1))
            await sleep(1_000)
          }
          return
      }
    }
    await stream.close()
  } catch {
    // the fetcher reset us: that is the point
  }
}

/**
 * Turn a node that holds (and announces) a share into a hostile holder: its
 * block protocol now answers every WANT the `how` way. Returns how many
 * WANTs it has answered so far.
 */
export async function makeHostile (node: VeilNode, how: Hostility): Promise<() => number> {
  const protocol = node.exchange.protocol
  let asked = 0
  await node.libp2p.unhandle(protocol)
  await node.libp2p.handle(protocol, (stream) => { void serveHostile(node, stream, how, () => { asked++ }) }, { maxInboundStreams: 1_000 })
  return () => asked
}
