import type { AbortOptions, ComponentLogger, Logger, PeerId, PeerInfo, Startable } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import PQueue from 'p-queue'
import type { LevelBlockStore, StoreSublevel } from '../blockstore/index.js'
import { RefuseCode, type NameAcceptor, type NameReply, type PushResult } from '../protocol/index.js'
import { nameCidFromPublicKey, publicKeyOfName } from '../link/index.js'
import { InvalidNameRecordError, NameNotFoundError } from '../errors.js'
import { deadline, failureReason, PeriodicTask } from '../util/index.js'
import { rawCidAsync } from '../format/index.js'
import { closestTo } from '../replication/index.js'
import { DEFAULT_NAME_VALIDITY_MS, MAX_HELD_RECORDS, MAX_HELD_RECORDS_PER_PEER, MAX_NAME_VALIDITY_MS, NAME_LOOKUP_TIMEOUT_MS, NAME_REPUBLISH_EVERY_MS } from './constants.js'
import { compareNameRecords, decodeNameRecord, nameDhtKey, verifyNameRecord, type NameRecord } from './record.js'
import { openNameValue, sealNameValue } from './value.js'
import { signNameRecord } from './signing.js'
import { nameLink, type KeyStore, type NameKey } from './key-store.js'
import { isOlder, type SeenSequences } from './dht-records.js'
import { HeldRecords, type HeldRecord } from './held-records.js'

export interface NameServiceInit {
  /** Put records into the DHT again this often (own names re-signed past half their validity; held ones). 0: never. Default 12 h. */
  republishEveryMs?: number
  /** Validity of a record when signed. Default (and at most) 7 days. */
  validityMs?: number
  /** Deadline of one DHT look-up. Default 15 s. */
  lookupTimeoutMs?: number
  /** Records a storage node keeps for one pusher. Default 64. */
  maxHeldRecordsPerPeer?: number
  /** Records a storage node keeps in all. Default 4096. */
  maxHeldRecords?: number
  /** Storage nodes closest to a name that get its record, besides its share's holders. Default 3. */
  recordCopies?: number
}

export interface NameServiceComponents {
  dht: KadDHT
  /** The newest record seen per name (shared with the DHT's validator). */
  seen: SeenSequences
  self: PeerId
  /** The repo's signing keys (absent without a repo: such a node cannot publish). */
  keys?: KeyStore
  /** The repo's store: remembers the newest version fetched per name, and (storage nodes) the records held for others. */
  store?: LevelBlockStore
  /** This is a storage node: it keeps records pushed to it (NAME) and republishes them. */
  keepsRecords?: boolean
  pushName: (peer: PeerId, record: Uint8Array, options?: AbortOptions) => Promise<NameReply>
  findHolders: (unit: CID, options: AbortOptions & { enough?: number, timeoutMs?: number }) => AsyncIterable<PeerInfo>
  /** Storage nodes that may keep a record placed at `key` (any order). */
  storagePeers: (key: CID, options?: AbortOptions) => Promise<PeerId[]>
  logger: ComponentLogger
}

/** What a publication reached. */
export interface PublishResult {
  /** The key's name in the repo. */
  name: string
  /** veil://<name CID>#<read key>: the link that keeps pointing at the newest version. */
  link: string
  nameCid: CID
  sequence: number
  signedAt: number
  validUntil: number
  /** The key was made by this publication. */
  created: boolean
  /** DHT nodes that stored the record. */
  dhtPeers: number
  /** Storage nodes (holders of the share) that keep and republish it. */
  holders: number
}

/** What a mutable link points to now. */
export interface ResolvedName {
  root: CID
  key: Uint8Array
  sequence: number
  signedAt: number
  validUntil: number
}

/**
 * Mutable links on a node: publishing a version (sign, put into the DHT,
 * push to the storage nodes holding the share), resolving a link to the
 * share it points to now, and keeping records alive — the publisher's node
 * re-signs and republishes its own, and a storage node republishes the ones
 * pushed to it (NAME) for as long as it holds their share. Timers run while
 * started.
 */
export class NameService implements Startable, NameAcceptor {
  private readonly log: Logger
  private readonly republishEveryMs: number
  private readonly validityMs: number
  private readonly lookupTimeoutMs: number
  private readonly recordCopies: number
  private readonly held: HeldRecords | undefined
  private readonly fetched: StoreSublevel | undefined
  private readonly republishing: PeriodicTask | undefined
  private started = false

  constructor (private readonly components: NameServiceComponents, init: NameServiceInit = {}) {
    this.log = components.logger.forComponent('veil:names')
    this.republishEveryMs = init.republishEveryMs ?? NAME_REPUBLISH_EVERY_MS
    this.validityMs = Math.min(init.validityMs ?? DEFAULT_NAME_VALIDITY_MS, MAX_NAME_VALIDITY_MS)
    this.lookupTimeoutMs = init.lookupTimeoutMs ?? NAME_LOOKUP_TIMEOUT_MS
    const store = components.store
    this.recordCopies = init.recordCopies ?? 3
    this.held = store !== undefined && components.keepsRecords === true
      ? new HeldRecords(store, { perPeer: init.maxHeldRecordsPerPeer ?? MAX_HELD_RECORDS_PER_PEER, total: init.maxHeldRecords ?? MAX_HELD_RECORDS })
      : undefined
    this.fetched = store?.sublevel('name-seen')
    this.republishing = this.republishEveryMs <= 0
      ? undefined
      : new PeriodicTask(async signal => await this.republish({ signal }), this.republishEveryMs, err => { this.log.error('republishing records failed: %e', err) })
  }

  readonly [Symbol.toStringTag] = 'veil:names'

  async start (): Promise<void> {
    await this.held?.load()
    this.started = true
    this.republishing?.start()
  }

  isStarted (): boolean {
    return this.started
  }

  async stop (): Promise<void> {
    await this.republishing?.stop()
    this.started = false
  }

  /** Records held for others (storage nodes). */
  get heldRecords (): number {
    return this.held?.size ?? 0
  }

  // --- publishing ---------------------------------------------------------------

  /**
   * Point the link named `name` (its key made on first use) at a share:
   * the next sequence number after both this repo's and the swarm's newest,
   * a record valid for 7 days, saved in the key file before it leaves, put
   * into the DHT and pushed to `holders` (the storage nodes that took the
   * share's root) and to the storage nodes closest to the name, which all
   * republish it. The record goes alone: no storage node is told which
   * share it points to.
   */
  async publish (name: string, target: { root: CID, key: Uint8Array }, options: AbortOptions & { holders?: PeerId[] } = {}): Promise<PublishResult> {
    const keys = this.components.keys
    if (keys === undefined) throw new InvalidNameRecordError('publishing needs a repo (where the link\'s signing key lives)')
    const { key, created } = await keys.getOrCreate(name)
    // Another machine (an imported key) may have gone further: never reuse a sequence.
    const current = created ? undefined : await this.lookup(key.publicKey, { ...options, timeoutMs: Math.min(this.lookupTimeoutMs, 5_000) }).catch(() => undefined)
    const sequence = Math.max(key.sequence, current?.sequence ?? 0) + 1
    const signedAt = Date.now()
    const sealedValue = await sealNameValue(key.readKey, key.publicKey, target)
    const bytes = signNameRecord(key.seed, { publicKey: key.publicKey, sequence, signedAt, validUntil: signedAt + this.validityMs, sealedValue })
    const saved: NameKey = { ...key, sequence, root: target.root, record: bytes }
    await keys.save(saved)
    const record = decodeNameRecord(bytes)
    const spread = await this.spread(record, options.holders ?? [], options)
    this.log('published version %d of a name (%d DHT peers, %d holders)', sequence, spread.dhtPeers, spread.holders)
    return { name, link: nameLink(saved), nameCid: nameCidFromPublicKey(key.publicKey), sequence, signedAt, validUntil: record.validUntil, created, ...spread }
  }

  /**
   * Put a record into the DHT and push it to `holders` and the storage
   * nodes closest to its name (and keep it here, on a storage node).
   */
  private async spread (record: NameRecord, holders: PeerId[], options: AbortOptions): Promise<{ dhtPeers: number, holders: number }> {
    const dhtKey = await nameDhtKey(record.publicKey)
    this.components.seen.note(dhtKey, record)
    let kept = 0
    if (this.held !== undefined && (await this.accept(this.components.self, record.bytes)).ok) kept++
    const place = await rawCidAsync(dhtKey)
    const near = await this.components.storagePeers(place, { signal: deadline(this.lookupTimeoutMs, options.signal) }).catch(() => [])
    const targets = new Map<string, PeerId>()
    for (const peer of [...holders, ...closestTo(place, near).slice(0, this.recordCopies)]) {
      if (!peer.equals(this.components.self)) targets.set(peer.toString(), peer)
    }
    const pushes = [...targets.values()].map(async peer => {
      try {
        const reply = await this.components.pushName(peer, record.bytes, { signal: deadline(this.lookupTimeoutMs, options.signal) })
        if (reply.ok) kept++
        else this.log('%p did not keep a record: %s', peer, reply.reason)
      } catch (err) {
        if (options.signal?.aborted === true) throw err
        this.log('pushing a record to %p failed: %s', peer, failureReason(err))
      }
    })
    const [dhtPeers] = await Promise.all([this.put(dhtKey, record.bytes, options), ...pushes])
    return { dhtPeers, holders: kept }
  }

  /** Put a record into the DHT; resolves with how many peers stored it. */
  private async put (dhtKey: Uint8Array, bytes: Uint8Array, options: AbortOptions): Promise<number> {
    let stored = 0
    try {
      for await (const event of this.components.dht.put(dhtKey, bytes, { signal: deadline(this.lookupTimeoutMs * 2, options.signal) })) {
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') stored++
      }
    } catch (err) {
      if (options.signal?.aborted === true) throw err
      this.log('putting a record into the DHT ended early: %s', failureReason(err))
    }
    return stored
  }

  // --- resolving ----------------------------------------------------------------

  /**
   * What a mutable link points to now: the newest valid record the DHT
   * holds for its name (checked: signature, validity, that it belongs to
   * the link), opened with the link's read key. A version older than one
   * this node fetched before is refused (a replayed record).
   */
  async resolve (name: CID, readKey: Uint8Array, options: AbortOptions = {}): Promise<ResolvedName> {
    const publicKey = publicKeyOfName(name)
    if (publicKey === undefined) throw new InvalidNameRecordError('the link does not name an Ed25519 key')
    const record = await this.lookup(publicKey, options)
    if (record === undefined) throw new NameNotFoundError()
    const value = await openNameValue(readKey, publicKey, record.sealedValue)
    await this.remember(await nameDhtKey(publicKey), record)
    return { ...value, sequence: record.sequence, signedAt: record.signedAt, validUntil: record.validUntil }
  }

  /**
   * The newest valid record of a name (its bytes are what the gateway hands
   * the page, which checks them again): undefined when the DHT has none;
   * InvalidNameRecordError when it has only versions older than one seen.
   */
  async lookup (publicKey: Uint8Array, options: AbortOptions & { timeoutMs?: number } = {}): Promise<NameRecord | undefined> {
    const dhtKey = await nameDhtKey(publicKey)
    const name = nameCidFromPublicKey(publicKey)
    await this.recall(dhtKey)
    let best: NameRecord | undefined
    try {
      for await (const event of this.components.dht.get(dhtKey, { signal: deadline(options.timeoutMs ?? this.lookupTimeoutMs, options.signal) })) {
        if (event.name !== 'VALUE') continue
        try {
          const record = await verifyNameRecord(event.value, { dhtKey, name })
          if (best === undefined || compareNameRecords(record, best) > 0) best = record
        } catch (err) {
          this.log('a DHT peer sent an invalid record: %s', (err as Error).message)
        }
      }
    } catch (err) {
      if (options.signal?.aborted === true) throw err
      // a look-up that ran out of time or peers keeps what it found
    }
    const seen = this.components.seen.get(dhtKey)
    if (seen !== undefined && seen.validUntil > Date.now() && (best === undefined || isOlder(best, seen))) {
      throw new InvalidNameRecordError(`this node has seen version ${seen.sequence} of this link, but the swarm now offers ${best === undefined ? 'no valid version' : `only version ${best.sequence}`}: an old record may be being replayed, or the newer one has not spread yet; try again later`)
    }
    if (best !== undefined) this.components.seen.note(dhtKey, best)
    return best
  }

  /** The newest valid record's bytes for a name CID (what the gateway serves at /name/<cid>), undefined when none. */
  async lookupName (name: CID, options: AbortOptions = {}): Promise<Uint8Array | undefined> {
    const publicKey = publicKeyOfName(name)
    if (publicKey === undefined) return undefined
    return (await this.lookup(publicKey, options))?.bytes
  }

  /** Load what this repo remembers of a name into the in-memory view (rollback protection across runs). */
  private async recall (dhtKey: Uint8Array): Promise<void> {
    const value = await this.fetched?.get(dhtKey)
    if (value === undefined) return
    try {
      const map = dagCbor.decode<{ seq: number, exp: number }>(value)
      if (Number.isSafeInteger(map.seq) && Number.isSafeInteger(map.exp)) this.components.seen.note(dhtKey, { sequence: map.seq, validUntil: map.exp, bytes: new Uint8Array(0) })
    } catch {}
  }

  private async remember (dhtKey: Uint8Array, record: NameRecord): Promise<void> {
    if (this.fetched === undefined || this.components.store === undefined) return
    await this.components.store.putMany([], { extraOps: [{ type: 'put', sublevel: this.fetched, key: dhtKey, value: dagCbor.encode({ seq: record.sequence, exp: record.validUntil }) }] })
  }

  // --- keeping records alive ----------------------------------------------------

  /** NAME: keep a record pushed by `from` (storage nodes). */
  async accept (from: PeerId, record: Uint8Array): Promise<PushResult> {
    if (this.held === undefined) return { ok: false, code: RefuseCode.NotAccepting, reason: 'this node keeps no records for others (not a storage node)' }
    return await this.held.accept(from, record)
  }

  /**
   * Put every record this node looks after into the DHT again: its own
   * names' (re-signed, same sequence, once past half their validity, and
   * pushed again to their share's holders and the storage nodes closest to
   * the name) and the ones held for others (dropped once expired).
   */
  async republish (options: AbortOptions = {}): Promise<{ own: number, held: number, dropped: number }> {
    const result = { own: 0, held: 0, dropped: 0 }
    const queue = new PQueue({ concurrency: 4 })
    const keys = this.components.keys
    for (const info of await keys?.list() ?? []) {
      options.signal?.throwIfAborted()
      const key = await keys!.get(info.name)
      if (key?.record === undefined || key.root === undefined) continue
      const record = await this.fresh(key, keys!)
      const root = key.root
      void queue.add(async () => {
        const holders: PeerId[] = []
        for await (const holder of this.components.findHolders(root, { signal: options.signal, enough: 6, timeoutMs: this.lookupTimeoutMs })) holders.push(holder.id)
        await this.spread(record, holders, options)
        result.own++
      }).catch((err: unknown) => { this.log('republishing %s failed: %s', info.name, failureReason(err)) })
    }
    const now = Date.now()
    for await (const held of this.held?.all() ?? []) {
      options.signal?.throwIfAborted()
      if (held.record.validUntil <= now) {
        await this.held!.drop(held)
        result.dropped++
        continue
      }
      void queue.add(async () => {
        await this.put(held.dhtKey, held.record.bytes, options)
        result.held++
      }).catch((err: unknown) => { this.log('republishing a held record failed: %s', failureReason(err)) })
    }
    await queue.onIdle()
    if (result.own + result.held + result.dropped > 0) this.log('republished %d own and %d held records, dropped %d', result.own, result.held, result.dropped)
    return result
  }

  /** A key's last record, re-signed with the same sequence and value once past half its validity. */
  private async fresh (key: NameKey, keys: KeyStore): Promise<NameRecord> {
    const record = decodeNameRecord(key.record!)
    const now = Date.now()
    if (record.validUntil - now > this.validityMs / 2) return record
    const bytes = signNameRecord(key.seed, { ...record, signedAt: now, validUntil: now + this.validityMs })
    await keys.save({ ...key, record: bytes })
    return decodeNameRecord(bytes)
  }

  /** The records held for others (storage nodes). */
  async * heldList (): AsyncGenerator<HeldRecord> {
    yield * this.held?.all() ?? []
  }
}

export function nameService (init: NameServiceInit = {}): (components: NameServiceComponents) => NameService {
  return (components) => new NameService(components, init)
}
