/**
 * A one-line reason for anything a promise rejected with. libp2p sometimes
 * rejects with an Event (a `StreamCloseEvent`, say) rather than an Error, and
 * such a value has no `message`: code that reads `err.message` then gets
 * `undefined`, which must never pass for "no failure".
 */
export function failureReason (err: unknown): string {
  if (err instanceof Error) return err.message !== '' ? err.message : err.name
  if (typeof err === 'object' && err !== null) {
    const { type, error } = err as { type?: unknown, error?: unknown }
    if (error instanceof Error) return failureReason(error)
    if (typeof type === 'string') return `the stream ended (${type} event)`
  }
  return `unexpected failure (${String(err)})`
}
