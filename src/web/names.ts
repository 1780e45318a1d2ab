import type { CID } from 'multiformats/cid'
import { MAX_NAME_RECORD_SIZE, openNameValue, verifyNameRecord } from '../names/portable.js'
import { NameNotFoundError } from '../errors.js'
import { BlockUnavailableError, GatewayBusyError } from './errors.js'

/*
 * A mutable link in the page: the gateway hands over the name's signed
 * record (GET /name/<cid>) without being able to read it; the page checks
 * it — the signature, that it belongs to this link, that it is valid now —
 * and opens its value with the key from the fragment, with the same code
 * the CLI uses (names/portable.ts).
 */

export interface PageName {
  root: CID
  key: Uint8Array
  sequence: number
  signedAt: number
}

export async function resolvePageName (name: CID, readKey: Uint8Array, signal?: AbortSignal): Promise<PageName> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`/name/${name.toString()}`, { signal, credentials: 'omit', referrerPolicy: 'no-referrer' })
    if (response.ok) {
      const bytes = new Uint8Array(await response.arrayBuffer())
      if (bytes.length > MAX_NAME_RECORD_SIZE) throw new BlockUnavailableError(response.status, 'the record is over the size limit')
      const record = await verifyNameRecord(bytes, { name })
      const value = await openNameValue(readKey, record.publicKey, record.sealedValue)
      return { ...value, sequence: record.sequence, signedAt: record.signedAt }
    }
    const text = (await response.text().catch(() => '')).slice(0, 300)
    if (response.status === 404) throw new NameNotFoundError()
    if ((response.status === 429 || response.status === 503) && attempt < 8) {
      await new Promise(resolve => setTimeout(resolve, 250 * 2 ** Math.min(attempt, 5)))
      continue
    }
    if (response.status === 429 || response.status === 503) throw new GatewayBusyError(text)
    throw new BlockUnavailableError(response.status, text)
  }
}
