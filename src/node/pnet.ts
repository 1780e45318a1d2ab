import { createRequire } from 'node:module'
import { randomBytes } from 'node:crypto'
import type { AbortOptions, ConnectionProtector, MessageStream, MultiaddrConnection } from '@libp2p/interface'
import { InvalidParametersError } from '@libp2p/interface'
import { AbstractMultiaddrConnection, byteStream, type SendResult } from '@libp2p/utils'
import { preSharedKey } from '@libp2p/pnet'
import type { Uint8ArrayList } from 'uint8arraylist'
import { swarmKeyFileBytes } from '../swarm/index.js'
import { fixXsalsa20 } from '../platform/index.js'

/*
 * A private swarm's connection protector, byte for byte the protocol of
 * @libp2p/pnet (and go-libp2p's pnet, and so IPFS swarm.key): each side
 * sends 24 random bytes, then every byte each way is XORed with the
 * XSalsa20 key stream of (the swarm key, the sender's nonce).
 *
 * Why not @libp2p/pnet itself: its cipher, the `xsalsa20` package, is
 * WebAssembly that copies every chunk into and out of its memory and
 * allocates an output per chunk: ~420–490 MB/s on one core here, so in a
 * private swarm it took ~18 % of a fetcher's thread and ~13 % of a holder's
 * (profiled, 256 MiB). libsodium's XSalsa20 through `sodium-native` (a
 * prebuilt binding shipped in its npm package) does ~2500 MB/s. When that
 * binding cannot load (a platform without a prebuild), the node falls back
 * to @libp2p/pnet, which speaks the same bytes.
 */

/** The part of sodium-native this uses: XSalsa20 (`crypto_stream`) with a running state. */
interface SodiumStream {
  crypto_stream_xor_STATEBYTES: number
  crypto_stream_xor_init: (state: Buffer, nonce: Uint8Array, key: Uint8Array) => void
  crypto_stream_xor_update: (state: Buffer, ciphertext: Uint8Array, message: Uint8Array) => void
}

/** Bytes of each side's nonce, and of the key (XSalsa20's). */
export const PNET_NONCE_LENGTH = 24
const KEY_LENGTH = 32

let sodium: SodiumStream | null | undefined

/** sodium-native's XSalsa20, or null when its binding does not load here. */
export function nativeXsalsa20 (): SodiumStream | null {
  if (sodium !== undefined) return sodium
  try {
    const loaded = createRequire(import.meta.url)('sodium-native') as Partial<SodiumStream>
    sodium = typeof loaded.crypto_stream_xor_update === 'function' && typeof loaded.crypto_stream_xor_init === 'function' ? loaded as SodiumStream : null
  } catch {
    sodium = null
  }
  return sodium
}

/** One direction's XSalsa20 key stream: XORs whatever passes through, in order. */
export class XorStream {
  private readonly state: Buffer

  constructor (private readonly lib: SodiumStream, nonce: Uint8Array, key: Uint8Array) {
    this.state = Buffer.alloc(lib.crypto_stream_xor_STATEBYTES)
    lib.crypto_stream_xor_init(this.state, nonce, key)
  }

  /** XOR `input` into a new buffer. */
  update (input: Uint8Array): Uint8Array {
    const output = Buffer.allocUnsafe(input.byteLength)
    this.lib.crypto_stream_xor_update(this.state, output, input)
    return output
  }

  /** XOR `data` in place (for bytes nothing else holds: a socket's fresh read buffer). */
  updateInPlace (data: Uint8Array): Uint8Array {
    this.lib.crypto_stream_xor_update(this.state, data, data)
    return data
  }

  /** XOR every chunk of a list into one new buffer (no concatenation first). */
  updateList (input: Uint8ArrayList): Uint8Array {
    const output = Buffer.allocUnsafe(input.byteLength)
    let at = 0
    for (const chunk of input) {
      this.lib.crypto_stream_xor_update(this.state, output.subarray(at, at + chunk.byteLength), chunk)
      at += chunk.byteLength
    }
    return output
  }
}

interface BoxInit {
  maConn: MultiaddrConnection
  inbound: XorStream
  outbound: XorStream
  log: MultiaddrConnection['log']
}

/** The protected connection: what @libp2p/pnet's BoxMessageStream does, with the native cipher. */
class XorMessageStream extends AbstractMultiaddrConnection {
  private readonly maConn: MultiaddrConnection
  private readonly outbound: XorStream

  constructor (init: BoxInit) {
    super({ log: init.log, remoteAddr: init.maConn.remoteAddr, direction: init.maConn.direction })
    this.maConn = init.maConn
    this.outbound = init.outbound
    const inbound = init.inbound
    // Decrypted in place: each chunk is a buffer the socket read into for
    // this event alone (TCP's read buffers are fresh per read) and nothing
    // below pnet keeps it. A new buffer per chunk cost the fetcher's GC
    // about as much again as the cipher itself (docs/benchmarks.md).
    this.maConn.addEventListener('message', (evt) => {
      const data = evt.data
      if (data instanceof Uint8Array) this.onData(inbound.updateInPlace(data))
      else for (const chunk of data) this.onData(inbound.updateInPlace(chunk))
    })
    this.maConn.addEventListener('drain', () => { this.onMuxerDrain() })
    this.maConn.addEventListener('close', (evt) => {
      if (evt.error != null) {
        if (evt.local) this.abort(evt.error)
        else this.onRemoteReset()
      } else {
        this.onTransportClosed()
      }
    })
  }

  async sendClose (options?: AbortOptions): Promise<void> {
    await this.maConn.close(options)
  }

  sendData (data: Uint8ArrayList): SendResult {
    return { sentBytes: data.byteLength, canSendMore: this.maConn.send(this.outbound.updateList(data)) }
  }

  sendReset (err: Error): void {
    this.maConn.abort(err)
  }

  sendPause (): void {
    this.maConn.pause()
  }

  sendResume (): void {
    this.maConn.resume()
  }
}

export interface PnetInit {
  /** The swarm's 32-byte key. */
  key: Uint8Array
  /** Time for the nonce exchange when libp2p gives no signal. Default 1 s (as @libp2p/pnet). */
  timeoutMs?: number
}

class NativePnetProtector implements ConnectionProtector {
  readonly [Symbol.toStringTag] = 'veil:pnet'
  private readonly key: Uint8Array
  private readonly timeoutMs: number

  constructor (private readonly lib: SodiumStream, init: PnetInit) {
    if (init.key.byteLength !== KEY_LENGTH) throw new InvalidParametersError(`a swarm key has ${KEY_LENGTH} bytes`)
    this.key = init.key.slice()
    this.timeoutMs = init.timeoutMs ?? 1000
  }

  async protect (connection: MessageStream, options?: AbortOptions): Promise<MessageStream> {
    const log = connection.log.newScope('pnet')
    const localNonce = new Uint8Array(randomBytes(PNET_NONCE_LENGTH))
    const opts = options ?? { signal: AbortSignal.timeout(this.timeoutMs) }
    const bytes = byteStream(connection)
    const [remote] = await Promise.all([
      bytes.read({ bytes: PNET_NONCE_LENGTH, ...opts }),
      bytes.write(localNonce, opts)
    ])
    const remoteNonce = remote.subarray()
    log('exchanged nonces')
    return new XorMessageStream({
      maConn: bytes.unwrap() as MultiaddrConnection,
      inbound: new XorStream(this.lib, remoteNonce, this.key),
      outbound: new XorStream(this.lib, localNonce, this.key),
      log
    })
  }
}

type ProtectorFactory = ReturnType<typeof preSharedKey>

/**
 * pnet for a swarm key: libsodium's XSalsa20 when sodium-native loads,
 * else @libp2p/pnet. `native: false` forces the latter (tests compare them).
 */
export function pnetProtector (init: PnetInit & { native?: boolean }): ProtectorFactory {
  const lib = init.native === false ? null : nativeXsalsa20()
  if (lib === null) {
    fixXsalsa20()
    return preSharedKey({ psk: swarmKeyFileBytes(init.key), timeout: init.timeoutMs })
  }
  return () => new NativePnetProtector(lib, init)
}
