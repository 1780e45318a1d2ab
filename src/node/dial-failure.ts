import { VeilError } from '../errors.js'

/** A bootstrap peer answered identify without this swarm's Veil DHT protocol. */
export class NotVeilNodeError extends VeilError {
  override name = 'NotVeilNodeError'
  constructor (readonly address: string, readonly protocols: string[], dhtProtocol: string) {
    const shown = protocols.slice(0, 6).join(', ') + (protocols.length > 6 ? ', …' : '')
    super(`the peer at ${address} is not a Veil node of this swarm: it speaks ${shown}, not ${dhtProtocol}; check the bootstrap address (a Veil node prints it as "listening …")`, 'ERR_NOT_VEIL_NODE')
  }
}

/** Failures before any connection existed: nothing listens there, no route, no answer in time. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL', 'ENOTFOUND', 'ECONNRESET'])
const UNREACHABLE_NAMES = new Set(['TimeoutError', 'AbortError', 'NoValidAddressesError', 'DialError'])

/**
 * Why a bootstrap dial failed, as far as it matters for trying again:
 * 'unreachable' (refused, no route, timed out — the peer may be restarting)
 * or 'other' (it answered, then broke off the handshake: another swarm key,
 * or not a libp2p peer — trying again will not help).
 */
export function dialFailureKind (err: unknown): 'unreachable' | 'other' {
  let unreachable = false
  for (let e = err as { name?: unknown, code?: unknown, message?: unknown, cause?: unknown, errors?: unknown } | undefined, depth = 0; e != null && depth < 6; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code) && e.code !== 'ECONNRESET') return 'unreachable'
    if (/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/.test(String(e.message ?? ''))) return 'unreachable'
    if (e.code === 'ECONNRESET' || /ECONNRESET|EncryptionFailed|Missing newline|length too long/i.test(String(e.message ?? ''))) return 'other'
    if (typeof e.name === 'string' && UNREACHABLE_NAMES.has(e.name)) unreachable = true
    if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.every(inner => dialFailureKind(inner) === 'unreachable') ? 'unreachable' : 'other'
  }
  return unreachable ? 'unreachable' : 'other'
}

/** Wait `ms` (a timer that keeps the process alive), or reject when `signal` aborts. */
export async function pause (ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason) }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

