import { describe, it, expect } from 'vitest'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { FrameScanner, WireGuard, type GuardProtocols, type GuardedTarget } from '../../../src/node/wire-guard.js'

const PROTOCOLS: GuardProtocols = {
  supported: p => ['/veil/blocks/2.0.0', '/veil/kad/1.0.0', '/ipfs/ping/1.0.0', '/noise'].includes(p),
  unframed: p => p === '/ipfs/ping/1.0.0' || p === '/noise',
  maxFrame: p => p === '/veil/kad/1.0.0' ? 1000 : undefined
}

/** One length-prefixed frame. */
function frame (body: Uint8Array | string): Uint8Array {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body
  return Uint8Array.from([...varint.encode(bytes.length), ...bytes])
}

function concat (...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap(p => [...p]))
}

const HEADER = frame('/multistream/1.0.0\n')
const ENDLESS = new Uint8Array(64).fill(0xff)

/** Scan `bytes` in one chunk, byte by byte, and as a list of 3-byte pieces: every split must agree. */
function verdicts (bytes: Uint8Array, direction: 'inbound' | 'outbound' = 'inbound'): Array<string | undefined> {
  const whole = new FrameScanner(direction, PROTOCOLS).scan(bytes)
  const single = new FrameScanner(direction, PROTOCOLS)
  let byByte: string | undefined
  for (const byte of bytes) {
    byByte = single.scan(Uint8Array.of(byte))
    if (byByte !== undefined) break
  }
  const list = new Uint8ArrayList()
  for (let i = 0; i < bytes.length; i += 3) list.append(bytes.subarray(i, i + 3))
  const listed = new FrameScanner(direction, PROTOCOLS).scan(list)
  return [whole, byByte, listed]
}

describe('the wire guard frame scanner', () => {
  it('lets a negotiation and framed traffic through, block-sized frames included', () => {
    const bytes = concat(HEADER, frame('/veil/blocks/2.0.0\n'), frame(new Uint8Array(70_000).fill(0xff)), frame(new Uint8Array(0)), frame('x'))
    expect(verdicts(bytes)).toEqual([undefined, undefined, undefined])
  })

  it('refuses an endless prefix in negotiation, after an unsupported protocol, and in a framed protocol', () => {
    for (const bytes of [
      concat(HEADER, ENDLESS),
      concat(ENDLESS),
      concat(HEADER, frame('/not/ours/1.0.0\n'), ENDLESS),
      concat(HEADER, frame('/veil/kad/1.0.0\n'), frame('hello'), ENDLESS)
    ]) {
      for (const verdict of verdicts(bytes)) expect(verdict).toMatch(/length prefix longer than/)
    }
  })

  it('refuses a frame over the protocol\'s limit at its prefix, before the body arrives', () => {
    const kad = concat(HEADER, frame('/veil/kad/1.0.0\n'))
    expect(verdicts(concat(kad, frame(new Uint8Array(1000))))).toEqual([undefined, undefined, undefined])
    for (const verdict of verdicts(concat(kad, varint.encode(100 * 1024 * 1024)))) expect(verdict).toMatch(/a \/veil\/kad\/1\.0\.0 frame of 104857600 bytes \(at most 1000\)/)
    // Other protocols keep only the prefix-length bound.
    expect(verdicts(concat(HEADER, frame('/veil/blocks/2.0.0\n'), varint.encode(100 * 1024 * 1024)))).toEqual([undefined, undefined, undefined])
  })

  it('refuses a negotiation line over 1024 bytes before collecting it', () => {
    const [verdict] = verdicts(concat(HEADER, Uint8Array.of(0x81, 0x08)))
    expect(verdict).toMatch(/line of 1025 bytes/)
  })

  it('steps aside once an unframed protocol is agreed: ping payloads and Noise are not varint frames', () => {
    expect(verdicts(concat(HEADER, frame('/ipfs/ping/1.0.0\n'), ENDLESS))).toEqual([undefined, undefined, undefined])
    expect(verdicts(concat(HEADER, frame('/noise\n'), ENDLESS))).toEqual([undefined, undefined, undefined])
  })

  it('outbound, takes any line but na as the agreement', () => {
    expect(verdicts(concat(HEADER, frame('na\n'), frame('/ipfs/ping/1.0.0\n'), ENDLESS), 'outbound')).toEqual([undefined, undefined, undefined])
    for (const verdict of verdicts(concat(HEADER, frame('/other/1.0.0\n'), ENDLESS), 'outbound')) expect(verdict).toMatch(/protocol frame/)
  })

  it('starts framed on a stream whose protocol was agreed beforehand', () => {
    expect(new FrameScanner('inbound', PROTOCOLS, '/veil/blocks/2.0.0').scan(frame(new Uint8Array(2000)))).toBeUndefined()
    expect(new FrameScanner('inbound', PROTOCOLS, '/veil/blocks/2.0.0').scan(ENDLESS)).toMatch(/protocol frame/)
    expect(new FrameScanner('inbound', PROTOCOLS, '/ipfs/ping/1.0.0').off).toBe(true)
  })
})

/** A stand-in for a libp2p message stream: records what reaches it. */
function target (buffered?: Uint8Array): GuardedTarget & { received: number, aborted?: Error } {
  const t = {
    received: 0,
    aborted: undefined as Error | undefined,
    readBuffer: buffered === undefined ? undefined : new Uint8ArrayList(buffered),
    onData (data: Uint8Array | Uint8ArrayList) { t.received += data.byteLength },
    abort (err: Error) { t.aborted = err }
  }
  return t
}

describe('the wire guard on a stream', () => {
  it('passes good bytes on, keeps a bad chunk from the reader and resets the stream', () => {
    const guard = new WireGuard()
    const refused: string[] = []
    guard.onRefused = reason => refused.push(reason)
    const stream = target()
    guard.watch(stream, 'inbound', PROTOCOLS)
    stream.onData(concat(HEADER, frame('/veil/kad/1.0.0\n')))
    expect(stream.received).toBe(HEADER.length + 17)
    stream.onData(ENDLESS)
    expect(stream.received).toBe(HEADER.length + 17)
    expect(stream.aborted).toMatchObject({ name: 'WireGuardError' })
    expect(guard.stats).toEqual({ watched: 1, refused: 1 })
    expect(refused).toHaveLength(1)
  })

  it('reads bytes buffered before it was installed (pnet hands over a connection with the first bytes in it)', () => {
    const guard = new WireGuard()
    const stream = target(concat(HEADER, ENDLESS))
    guard.watch(stream, 'inbound', PROTOCOLS)
    expect(stream.aborted).toBeDefined()
    const fine = target(concat(HEADER, frame('/noise\n')))
    guard.watch(fine, 'inbound', PROTOCOLS)
    fine.onData(ENDLESS)
    expect(fine.aborted).toBeUndefined()
    expect(fine.received).toBe(ENDLESS.length)
  })
})
