import type { ConnectionProtector, MessageStream, Stream, StreamMuxer, StreamMuxerFactory } from '@libp2p/interface'
import type { GuardProtocols, GuardedTarget, WireGuard } from './wire-guard.js'

/*
 * Where the wire guard (wire-guard.ts) meets libp2p: every connection is
 * watched from the moment the upgrader has it (after pnet, before
 * multistream-select picks the encrypter), every stream from the moment the
 * muxer creates it (before multistream-select picks its protocol).
 */

type ComponentsWith<T> = T & Record<string, unknown>
type Factory<T> = (components: any) => T

/** The muxer hook the guard needs: AbstractStreamMuxer's, which Yamux extends. */
interface RemoteStreamHook {
  onRemoteStream(stream: Stream): void
  createStream: StreamMuxer['createStream']
}

/**
 * A connection protector that watches each connection's multistream-select
 * until an encrypter (`encrypters`, e.g. "/noise") is agreed: libp2p runs it
 * on the raw TCP bytes, before any handshake. A private swarm's pnet
 * protector (`inner`) runs first, so the guard reads the decrypted bytes.
 */
export function guardedProtector (guard: WireGuard, encrypters: string[], inner?: Factory<ConnectionProtector>): Factory<ConnectionProtector> {
  const protocols: GuardProtocols = { supported: p => encrypters.includes(p), unframed: () => true }
  return (components) => {
    const protector = inner?.(components)
    return {
      async protect (connection: MessageStream, options) {
        const protectedConnection = protector === undefined ? connection : await protector.protect(connection, options)
        // Either side, the guard steps aside only once a line names an
        // encrypter we run: agreed (we listen) or echoed (we dialled). So
        // the "inbound" rule fits both, whatever direction pnet's wrapper says.
        guard.watch(protectedConnection as unknown as GuardedTarget, 'inbound', protocols)
        return protectedConnection
      }
    }
  }
}

export interface StreamRules {
  /** Protocols whose payload is not varint-framed (ping). */
  unframed: string[]
  /** The largest frame some protocols may announce (see GuardProtocols.maxFrame). */
  maxFrame?: Record<string, number>
}

/**
 * A stream muxer factory whose muxers put the guard on every stream, inbound
 * and outbound, before multistream-select reads from it.
 */
export function guardedMuxer (guard: WireGuard, factory: Factory<StreamMuxerFactory>, rules: StreamRules): Factory<StreamMuxerFactory> {
  return (components: ComponentsWith<{ registrar: { getProtocols(): string[] } }>) => {
    const inner = factory(components)
    const protocols: GuardProtocols = {
      // Looked up when needed: the registrar is configured after the muxers.
      supported: p => components.registrar.getProtocols().includes(p),
      unframed: p => rules.unframed.includes(p),
      maxFrame: p => rules.maxFrame?.[p]
    }
    return {
      protocol: inner.protocol,
      createStreamMuxer (maConn: MessageStream): StreamMuxer {
        const muxer = inner.createStreamMuxer(maConn)
        const hooks = muxer as unknown as RemoteStreamHook
        if (typeof hooks.onRemoteStream !== 'function') {
          throw new TypeError(`the ${inner.protocol} muxer has no onRemoteStream hook: the wire guard cannot watch its streams`)
        }
        const onRemoteStream = hooks.onRemoteStream.bind(muxer)
        hooks.onRemoteStream = (stream) => {
          guard.watch(stream as unknown as GuardedTarget, 'inbound', protocols, stream.protocol)
          onRemoteStream(stream)
        }
        const createStream = hooks.createStream.bind(muxer)
        hooks.createStream = async (options) => {
          const stream = await createStream(options)
          guard.watch(stream as unknown as GuardedTarget, 'outbound', protocols, stream.protocol)
          return stream
        }
        return muxer
      }
    }
  }
}
