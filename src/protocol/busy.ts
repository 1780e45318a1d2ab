import { setTimeout as pause } from 'node:timers/promises'
import { RemoteError } from './errors.js'
import { ErrorCode } from './wire.js'

/** Did a peer answer "busy" (ERROR Limit): not a failure, an invitation to retry later? */
export function isBusyError (err: unknown): boolean {
  return err instanceof RemoteError && err.wireCode === ErrorCode.Limit
}

export interface BusyRetryOptions {
  signal?: AbortSignal
  /** Retries after the first busy answer. Default 4. */
  retries?: number
  /** First pause; each next one doubles. Default 100 ms. */
  firstPauseMs?: number
}

/**
 * Run `request`, and while the peer answers busy (a thrown busy error, or a
 * result `isBusy` recognises), pause and run it again, a few times with a
 * pause that doubles. After the last retry the busy answer is returned (or
 * thrown) as it came, for the caller to count as a failure.
 */
export async function retryWhileBusy<T> (request: () => Promise<T>, isBusy: (result: T) => boolean, options: BusyRetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 4
  for (let attempt = 0; ; attempt++) {
    let result: T
    try {
      result = await request()
    } catch (err) {
      if (!isBusyError(err) || attempt >= retries) throw err
      await pause((options.firstPauseMs ?? 100) * 2 ** attempt, undefined, { signal: options.signal })
      continue
    }
    if (!isBusy(result) || attempt >= retries) return result
    await pause((options.firstPauseMs ?? 100) * 2 ** attempt, undefined, { signal: options.signal })
  }
}
