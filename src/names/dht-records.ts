import type { SelectFn, ValidateFn } from '@libp2p/kad-dht'
import { InvalidNameRecordError } from '../errors.js'
import { MAX_REMEMBERED_NAMES, NAME_NAMESPACE } from './constants.js'
import { compareNameRecords, decodeNameRecord, verifyNameRecord, type NameRecord } from './record.js'

/*
 * kad-dht's hooks for Veil's record namespace (`/veil/…`): every DHT node
 * runs the validator on each record put to it, on the records it holds
 * before it answers with one, and on each record a look-up receives; the
 * selector picks the newest when a look-up finds several.
 *
 * kad-dht's PUT_VALUE handler stores whatever validates, replacing what it
 * held: the validator therefore also refuses a record older than the newest
 * one this node has seen valid for that key (SeenSequences), so a replayed
 * record of an earlier version cannot displace a later one.
 */

/** The newest (sequence, validity) a node has seen valid per name key; bounded, least recently used out. */
export class SeenSequences {
  private readonly seen = new Map<string, Pick<NameRecord, 'sequence' | 'validUntil' | 'bytes'>>()

  constructor (private readonly max = MAX_REMEMBERED_NAMES) {}

  get (key: Uint8Array): Pick<NameRecord, 'sequence' | 'validUntil' | 'bytes'> | undefined {
    return this.seen.get(hex(key))
  }

  /** Remember `record` if it is the newest seen for `key`. */
  note (key: Uint8Array, record: Pick<NameRecord, 'sequence' | 'validUntil' | 'bytes'>): void {
    const id = hex(key)
    const current = this.seen.get(id)
    if (current !== undefined && compareNameRecords(current, record) > 0) return
    this.seen.delete(id)
    this.seen.set(id, { sequence: record.sequence, validUntil: record.validUntil, bytes: record.bytes })
    while (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value!)
  }

  get size (): number {
    return this.seen.size
  }
}

/** True when `record` is older than what was seen: a lower sequence, or the same one signed earlier. */
export function isOlder (record: Pick<NameRecord, 'sequence' | 'validUntil'>, seen: Pick<NameRecord, 'sequence' | 'validUntil'> | undefined): boolean {
  if (seen === undefined) return false
  return record.sequence < seen.sequence || (record.sequence === seen.sequence && record.validUntil < seen.validUntil)
}

/** The validator of Veil's namespace: the record's own checks (record.ts), then no going back. */
export function nameRecordValidator (seen: SeenSequences): ValidateFn {
  return async (key, value) => {
    const record = await verifyNameRecord(value, { dhtKey: key })
    if (isOlder(record, seen.get(key))) {
      throw new InvalidNameRecordError(`refused a record of version ${record.sequence}: this node has seen a newer one`)
    }
    seen.note(key, record)
  }
}

/** The selector of Veil's namespace: the newest record (sequence, then validity, then bytes). */
export const nameRecordSelector: SelectFn = (_key, records) => {
  let best = -1
  let bestRecord: NameRecord | undefined
  for (const [i, bytes] of records.entries()) {
    let record: NameRecord
    try {
      record = decodeNameRecord(bytes)
    } catch {
      continue
    }
    if (bestRecord === undefined || compareNameRecords(record, bestRecord) > 0) {
      best = i
      bestRecord = record
    }
  }
  return Math.max(0, best)
}

/** kad-dht options for Veil's namespace. */
export function nameDhtRecords (seen: SeenSequences): { validators: Record<string, ValidateFn>, selectors: Record<string, SelectFn> } {
  return { validators: { [NAME_NAMESPACE]: nameRecordValidator(seen) }, selectors: { [NAME_NAMESPACE]: nameRecordSelector } }
}

function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
