import { describe, it, expect, afterEach } from 'vitest'
import { createRequire } from 'node:module'
import { randomBytes, createHash } from 'node:crypto'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { ping, type Ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { Uint8ArrayList } from 'uint8arraylist'
import { XorStream, nativeXsalsa20, pnetProtector } from '../../../src/node/pnet.js'
import { createSwarmKey, swarmKeyFileBytes } from '../../../src/swarm/index.js'

const require = createRequire(import.meta.url)
const XSalsa20 = require('xsalsa20') as new (nonce: Uint8Array, key: Uint8Array) => { update: (input: Uint8Array) => Uint8Array, finalize: () => void }

const ECHO = '/veil-test/echo/1.0.0'
type Node = Libp2p<{ ping: Ping }>
const nodes: Node[] = []

afterEach(async () => {
  await Promise.all(nodes.splice(0).map(async node => { await node.stop() }))
})

/** A bare libp2p node (tcp, noise, yamux, ping, an echo protocol) behind `protector`. */
async function startNode (protector: ReturnType<typeof preSharedKey>): Promise<Node> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionProtector: protector,
    services: { ping: ping() }
  })
  nodes.push(node)
  await node.handle(ECHO, async (stream) => {
    for await (const chunk of stream) {
      const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray()
      if (!stream.send(bytes)) await stream.onDrain()
    }
    await stream.close()
  })
  return node
}

/** Send `size` random bytes from `from` to `to`'s echo handler in odd-sized pieces; true when the echo matches. */
async function echoes (from: Node, to: Node, size: number): Promise<boolean> {
  const stream = await from.dialProtocol(to.getMultiaddrs()[0]!, ECHO, { signal: AbortSignal.timeout(10_000) })
  const data = new Uint8Array(randomBytes(size))
  const received = new Uint8ArrayList()
  const reading = (async () => {
    for await (const chunk of stream) received.append(chunk)
  })()
  for (let at = 0, piece = 1; at < size; at += piece, piece = (piece * 7 + 13) % 100_003 + 1) {
    if (!stream.send(data.subarray(at, Math.min(size, at + piece)))) await stream.onDrain()
  }
  await stream.close()
  await reading
  const digest = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
  return received.byteLength === size && digest(received.subarray()) === digest(data)
}

describe('pnet with libsodium\'s XSalsa20', () => {
  it('loads the native cipher here (else the node silently runs the slow one)', () => {
    expect(nativeXsalsa20()).not.toBeNull()
  })

  it('gives the key stream of the xsalsa20 package @libp2p/pnet uses, across chunks of any size', () => {
    const key = new Uint8Array(randomBytes(32))
    const nonce = new Uint8Array(randomBytes(24))
    const stock = new XSalsa20(nonce, key)
    const ours = new XorStream(nativeXsalsa20()!, nonce, key)
    for (const size of [0, 1, 7, 63, 64, 65, 1000, 65_536, 3, 1024 * 1024 + 5]) {
      const input = new Uint8Array(randomBytes(size))
      const list = new Uint8ArrayList(input.subarray(0, size >> 1), input.subarray(size >> 1))
      // The same stream position either way: one buffer, then a list of two.
      expect(Buffer.from(ours.update(input)).equals(Buffer.from(stock.update(input)))).toBe(true)
      expect(Buffer.from(ours.updateList(list)).equals(Buffer.from(stock.update(input)))).toBe(true)
      const expected = Buffer.from(stock.update(input))
      expect(Buffer.from(ours.updateInPlace(input)).equals(expected)).toBe(true)
      expect(Buffer.from(input).equals(expected)).toBe(true) // the very same buffer, XORed
    }
    stock.finalize()
  })

  it('talks to stock @libp2p/pnet both ways with an IPFS swarm.key, and not with another key', async () => {
    const key = createSwarmKey()
    const stock = await startNode(preSharedKey({ psk: swarmKeyFileBytes(key) }))
    const ours = await startNode(pnetProtector({ key }))
    // Ours dials the stock node, then (a fresh pair) the stock node dials ours.
    expect(await echoes(ours, stock, 3 * 1024 * 1024 + 17)).toBe(true)
    expect(await ours.services.ping.ping(stock.getMultiaddrs()[0]!)).toBeGreaterThanOrEqual(0)
    const stock2 = await startNode(preSharedKey({ psk: swarmKeyFileBytes(key) }))
    const ours2 = await startNode(pnetProtector({ key }))
    expect(await echoes(stock2, ours2, 3 * 1024 * 1024 + 17)).toBe(true)
    expect(await stock2.services.ping.ping(ours2.getMultiaddrs()[0]!)).toBeGreaterThanOrEqual(0)

    const outsider = await startNode(pnetProtector({ key: createSwarmKey() }))
    await expect(outsider.dial(ours.getMultiaddrs()[0]!, { signal: AbortSignal.timeout(3_000) })).rejects.toThrow()
    await expect(outsider.dial(stock.getMultiaddrs()[0]!, { signal: AbortSignal.timeout(3_000) })).rejects.toThrow()
  }, 30_000)

  it('falls back to @libp2p/pnet when asked (the path taken where the binding does not load), which still interoperates', async () => {
    const key = createSwarmKey()
    const fallback = await startNode(pnetProtector({ key, native: false }))
    const ours = await startNode(pnetProtector({ key }))
    expect(await echoes(fallback, ours, 1024 * 1024 + 1)).toBe(true)
  }, 30_000)
})
