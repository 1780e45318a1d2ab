import type { PeerId, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import type { CID } from 'multiformats/cid'
import { dagCborCid, verifyBlockAsync } from '../format/index.js'
import { MessageType, MAX_FRAME } from './codec.js'
import { blockHeader, decodeResponse, encodeName, encodeProve, encodeWant, type Response } from './messages.js'
import { encodePut, type HopStatus, type PutHeader } from './put-messages.js'
import { errorCodeName, refuseCodeName, type RefuseCode } from './wire.js'
import { ProtocolViolationError, RemoteError } from './errors.js'
import { deadline } from '../util/index.js'
import { frameStream } from './frames.js'

export interface ClientLimits {
  /** Time to wait for each response frame. */
  readTimeoutMs: number
  /** Time to hand each request frame to the peer. */
  writeTimeoutMs: number
}

export interface AbortOpts { signal?: AbortSignal }

export type WantResult = { cid: CID, bytes: Uint8Array } | { cid: CID, bytes: undefined }

/**
 * Checks a received block against its CID and returns the bytes to use (a
 * worker-thread verifier hands back the same bytes it was given). Throws
 * BlockHashMismatchError on a mismatch.
 */
export type BlockVerifier = (cid: CID, bytes: Uint8Array, options?: AbortOpts) => Promise<Uint8Array>

export const verifyOffThread: BlockVerifier = async (cid, bytes) => {
  await verifyBlockAsync(cid, bytes)
  return bytes
}

export type PushOutcome = { cid: CID, ok: true } | { cid: CID, ok: false, code: RefuseCode, reason: string }

/** One PUT: blocks of one unit, and how long the pusher asks the node to keep the unit. */
export interface PutRequest {
  unit: CID
  blocks: Array<{ cid: CID, bytes: Uint8Array }>
  /** ms since the epoch; 0 or absent: the node's default lease. */
  leaseUntil?: number
  /** The unit's path from its share root (see PutHeader.path): lets the node check a segment is not junk. */
  path?: CID[]
  /** A hard expiry (ms since the epoch): the node deletes the unit then (see PutHeader.expires). */
  expires?: number
  /** The next storage nodes of a chain: the node forwards the PUT along it (see PutHeader.chain). */
  chain?: PeerId[]
}

/**
 * What a node said to a PUT: refused from its header (no block was sent),
 * or admitted — with the time it keeps the unit until — and an outcome for
 * each block, in order. A chained PUT's reply also says, for each next node
 * of the chain in order, whether it holds every block of the PUT durably
 * (with its lease) or why not.
 */
export type PutReply =
  | { admitted: false, code: RefuseCode, reason: string }
  | { admitted: true, keptUntil: number, outcomes: PushOutcome[], chain?: HopStatus[] }

/** How a PUT's header was answered: refused, or admitted and ready for its blocks. */
export type PutOpening =
  | { admitted: false, code: RefuseCode, reason: string }
  | { admitted: true, session: PutSession }

/**
 * An admitted PUT: its blocks go one at a time (`send`, as they come — a
 * node forwarding a chained PUT sends each block on as soon as it has it),
 * then `finish` reads the answers. `abort` resets the stream (the node ends
 * the PUT as failed).
 */
export class PutSession {
  private sent = 0

  constructor (
    private readonly stream: Stream,
    private readonly lp: LengthPrefixedStream,
    private readonly header: PutHeader,
    /** The node keeps the unit at least until then. */
    readonly keptUntil: number,
    /** A chained PUT: what each next node of the chain said to the header. */
    readonly hops: HopStatus[] | undefined,
    private readonly limits: ClientLimits,
    private readonly options: AbortOpts
  ) {}

  async send (block: { cid: CID, bytes: Uint8Array }, options: AbortOpts = this.options): Promise<void> {
    if (this.sent >= this.header.count) throw new RangeError(`this PUT carries ${this.header.count} blocks`)
    this.sent++
    await this.lp.write(new Uint8ArrayList(blockHeader(MessageType.Push, block.cid), block.bytes), { signal: signalFor(this.limits.writeTimeoutMs, options) })
  }

  /** Close our side and read one answer per block sent (and a chained PUT's CHAIN frame). */
  async finish (cids: CID[]): Promise<{ outcomes: PushOutcome[], chain?: HopStatus[] }> {
    const { limits, options } = this
    await this.stream.close({ signal: signalFor(limits.writeTimeoutMs, options) }).catch(() => {})
    const outcomes: PushOutcome[] = []
    // Storing durably takes longer than sending: a generous wait; on a chain, the next nodes' answers come
    // first, and each node gives up on its next one well before its own pusher gives up on it.
    const slow = { ...limits, readTimeoutMs: limits.readTimeoutMs * (4 + 4 * (this.header.chain?.length ?? 0)) }
    for (const cid of cids) {
      const response = await readResponse(this.lp, slow, options)
      if (response.type === MessageType.Ok) {
        expectCid(response, cid)
        outcomes.push({ cid, ok: true })
      } else if (response.type === MessageType.Refuse) {
        expectCid(response, cid)
        outcomes.push({ cid, ok: false, code: response.code, reason: `${refuseCodeName(response.code)}: ${response.reason}` })
      } else {
        throw new ProtocolViolationError(`unexpected response type ${response.type} to PUT`)
      }
    }
    if (this.header.chain === undefined) return { outcomes }
    const response = await readResponse(this.lp, slow, options)
    if (response.type !== MessageType.Chain) throw new ProtocolViolationError(`unexpected response type ${response.type} after a chained PUT's answers`)
    expectCid(response, this.header.unit)
    if (response.hops.length !== this.header.chain.length) throw new ProtocolViolationError('a CHAIN frame must say something of every next node of the chain')
    return { outcomes, chain: response.hops.map(named) }
  }

  abort (err: Error): void {
    this.stream.abort(err)
  }
}

/**
 * Send a PUT's header and wait to be admitted (READY) or refused. A chained
 * PUT's READY must say something of every next node of its chain.
 */
export async function openPut (stream: Stream, header: PutHeader, limits: ClientLimits, options: AbortOpts = {}): Promise<PutOpening> {
  const lp = open(stream, header.count * 512 + 4096)
  await lp.write(encodePut(header), { signal: signalFor(limits.writeTimeoutMs, options) })
  // A chained PUT's READY waits for the next nodes' (each dials the one after it, and waits for its READY).
  const admission = await readResponse(lp, { ...limits, readTimeoutMs: limits.readTimeoutMs * (1 + 2 * (header.chain?.length ?? 0)) }, options)
  if (admission.type === MessageType.Refuse) {
    expectCid(admission, header.unit)
    await stream.close({ signal: signalFor(limits.writeTimeoutMs, options) }).catch(() => {})
    return { admitted: false, code: admission.code, reason: `${refuseCodeName(admission.code)}: ${admission.reason}` }
  }
  if (admission.type !== MessageType.Ready) throw new ProtocolViolationError(`unexpected response type ${admission.type} to a PUT header`)
  expectCid(admission, header.unit)
  if ((admission.hops?.length ?? 0) !== (header.chain?.length ?? 0)) throw new ProtocolViolationError('a READY must say something of every next node of a chained PUT, and nothing else')
  return { admitted: true, session: new PutSession(stream, lp, header, admission.keptUntil, admission.hops?.map(named), limits, options) }
}

/** A hop's reason as every refusal reads here: its code's name first. */
function named (hop: HopStatus): HopStatus {
  return hop.ok ? hop : { ...hop, reason: `${refuseCodeName(hop.code)}: ${hop.reason}` }
}

function signalFor (timeoutMs: number, options: AbortOpts): AbortSignal {
  return deadline(timeoutMs, options.signal)
}

function open (stream: Stream, bufferBytes: number): LengthPrefixedStream {
  return frameStream(stream, bufferBytes)
}

async function readResponse (lp: LengthPrefixedStream, limits: ClientLimits, options: AbortOpts): Promise<Response> {
  const response = decodeResponse(await lp.read({ signal: signalFor(limits.readTimeoutMs, options) }))
  if (response.type === MessageType.Error) {
    throw new RemoteError(response.code, `the peer refused the request (${errorCodeName(response.code)})`)
  }
  return response
}

function expectCid (response: Response & { cid: CID }, cid: CID): void {
  if (!response.cid.equals(cid)) throw new ProtocolViolationError('answered for a CID that was not asked for, or out of order')
}

/**
 * Ask for blocks and yield them in the order asked, each verified against
 * its CID (on the thread pool) before it is yielded: a wrong block throws
 * BlockHashMismatchError, so the caller knows which peer lied. A peer that
 * does not hold a block answers NONE (`bytes: undefined`).
 */
export async function * wantBlocks (stream: Stream, cids: CID[], limits: ClientLimits, options: AbortOpts & { verify?: BlockVerifier } = {}): AsyncGenerator<WantResult> {
  const verify = options.verify ?? verifyOffThread
  // Room for every block asked for: an honest peer never sends more.
  const lp = open(stream, cids.length * MAX_FRAME + 1024)
  await lp.write(encodeWant(cids), { signal: signalFor(limits.writeTimeoutMs, options) })
  await stream.close({ signal: signalFor(limits.writeTimeoutMs, options) }).catch(() => {})
  for (const cid of cids) {
    const response = await readResponse(lp, limits, options)
    if (response.type === MessageType.Block) {
      expectCid(response, cid)
      yield { cid, bytes: await verify(cid, response.bytes, options) }
    } else if (response.type === MessageType.None) {
      expectCid(response, cid)
      yield { cid, bytes: undefined }
    } else {
      throw new ProtocolViolationError(`unexpected response type ${response.type} to WANT`)
    }
  }
}

/**
 * Push blocks of one unit in one PUT: send the header, wait to be admitted
 * (READY) or refused, then send the blocks and read what the peer said of
 * each. An ok means the peer wrote the block durably; a refusal carries the
 * peer's wire code.
 */
export async function pushBlocks (stream: Stream, put: PutRequest, limits: ClientLimits, options: AbortOpts = {}): Promise<PutReply> {
  const { unit, blocks } = put
  const bytes = blocks.reduce((sum, block) => sum + block.bytes.length, 0)
  const opening = await openPut(stream, { unit, count: blocks.length, bytes, leaseUntil: put.leaseUntil ?? 0, path: put.path, expires: put.expires, chain: put.chain }, limits, options)
  if (!opening.admitted) return opening
  const { session } = opening
  for (const block of blocks) await session.send(block)
  const answers = await session.finish(blocks.map(block => block.cid))
  return { admitted: true, keptUntil: session.keptUntil, ...answers }
}

/**
 * Challenge a peer to prove it holds blocks: it must answer
 * SHA-256(nonce ‖ block) for each, which it cannot do without the bytes.
 * Returns each CID's proof, or undefined when the peer says it lacks it.
 */
export async function proveBlocks (stream: Stream, nonce: Uint8Array, cids: CID[], limits: ClientLimits, options: AbortOpts = {}): Promise<Array<Uint8Array | undefined>> {
  const lp = open(stream, cids.length * 256 + 4096)
  await lp.write(encodeProve(nonce, cids), { signal: signalFor(limits.writeTimeoutMs, options) })
  await stream.close({ signal: signalFor(limits.writeTimeoutMs, options) }).catch(() => {})
  const proofs: Array<Uint8Array | undefined> = []
  for (const cid of cids) {
    const response = await readResponse(lp, limits, options)
    if (response.type === MessageType.Proof) {
      expectCid(response, cid)
      proofs.push(response.proof)
    } else if (response.type === MessageType.None) {
      expectCid(response, cid)
      proofs.push(undefined)
    } else {
      throw new ProtocolViolationError(`unexpected response type ${response.type} to PROVE`)
    }
  }
  return proofs
}

/** What a node said to a NAME: kept, or refused with its wire code. */
export type NameReply = { ok: true } | { ok: false, code: RefuseCode, reason: string }

/** Push a mutable link's signed record to a storage node, to keep and republish. */
export async function pushNameRecord (stream: Stream, record: Uint8Array, limits: ClientLimits, options: AbortOpts = {}): Promise<NameReply> {
  const id = dagCborCid(record)
  const lp = open(stream, 4096)
  await lp.write(encodeName(record), { signal: signalFor(limits.writeTimeoutMs, options) })
  await stream.close({ signal: signalFor(limits.writeTimeoutMs, options) }).catch(() => {})
  const response = await readResponse(lp, limits, options)
  if (response.type === MessageType.Ok) {
    expectCid(response, id)
    return { ok: true }
  }
  if (response.type === MessageType.Refuse) {
    expectCid(response, id)
    return { ok: false, code: response.code, reason: `${refuseCodeName(response.code)}: ${response.reason}` }
  }
  throw new ProtocolViolationError(`unexpected response type ${response.type} to NAME`)
}
