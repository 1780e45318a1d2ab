/**
 * The control API's wire shapes, shared by the daemon (server.ts), its
 * client (client.ts) and the CLI. Everything is JSON; long operations answer
 * with NDJSON: progress lines, then one `result` or `error` line.
 *
 * Links (with their keys) travel only in request and response bodies, never
 * in URLs, so no access log or proxy ever records a key.
 */
import { CID } from 'multiformats/cid'
import type { ShareKind } from '../format/index.js'
import type { NodeStatus } from '../node/index.js'
import type { StorageStatus } from '../replication/index.js'
import type { FolderLimits } from '../exporter/index.js'

export const API_PREFIX = '/v1'
/** Largest request body the daemon reads. */
export const MAX_REQUEST_BYTES = 64 * 1024
/** Trailer carrying the outcome of a `get` streamed as raw bytes. */
export const RESULT_TRAILER = 'x-veil-result'

export interface ShareRequest {
  /** Absolute path on the daemon's machine. */
  path: string
  replicas?: number
  convergent?: boolean
  /** Make the share expire then (ms since the epoch). */
  expires?: number
}

export interface PublishRequest {
  /** Absolute path on the daemon's machine. */
  path: string
  /** The key's name in the repo (made on first use). */
  name: string
  replicas?: number
}

export interface GetRequest {
  link: string
  /** Absolute path, "-" to stream the bytes in the response body, or absent: `<cwd>/<share name>`. */
  output?: string
  /** Absolute folder the default output goes into. */
  cwd?: string
  force?: boolean
  /** Caps on what a folder share may write (library defaults when absent). */
  limits?: FolderLimits
}

export interface LinkRequest {
  link: string
}

export interface ListRequest {
  link: string
  /** The whole tree (`veil ls -r`). */
  recursive?: boolean
}

/** A library progress event, flattened to JSON. */
export interface WireProgress {
  type: string
  detail: Record<string, string | number | boolean | null>
}

/** An error as the daemon reports it: the class name, its code and its message. */
export interface WireError {
  name: string
  code: string
  message: string
}

export type StreamLine<T> = { progress: WireProgress } | { result: T } | { error: WireError }

export interface ShareSummary {
  link: string
  cid: string
  name: string
  kind: ShareKind
  /** Bytes shared: a file's size, or the total of a folder's files. */
  size: number
  /** Files in the share (1 for a file). */
  files: number
  /** The fewest copies any unit got on storage nodes, and how many were wanted. */
  replicas: number
  replicasWanted: number
  placementFailures: string[]
  /** Every copy placed is kept by its storage node at least until then (ISO 8601); null when some unit got none. */
  keptUntil: string | null
  /** The sharing node kept its copy (and serves it). */
  keptLocal: boolean
  /** When the share expires (ISO 8601), or null. */
  expires: string | null
}

export interface PublishSummary {
  /** The mutable link: veil://<name>#<read key>, the same at every publication under this name. */
  link: string
  /** The key's name in the repo. */
  name: string
  /** This version's number (1 for the first publication). */
  sequence: number
  /** The key was made by this publication. */
  created: boolean
  /** The record is valid until then (ISO 8601); republished while a node runs for the repo. */
  validUntil: string
  /** DHT nodes that took the record, and storage nodes that keep and republish it. */
  dhtPeers: number
  recordHolders: number
  /** The share this version points to. */
  share: ShareSummary
}

export interface GetSummary {
  /** Where it was written, or "-" for a stream. */
  path: string
  cid: string
  name: string
  kind: ShareKind
  size: number
  bytesWritten: number
  resumedBlocks: number
  alreadyComplete: boolean
  files: number
  blocksFetched: number
  bytesFetched: number
  /** The version fetched, for a mutable link (its record's sequence number); null for any other link. */
  sequence: number | null
}

export interface ListEntry {
  name: string
  /** Names from the listed folder down to this entry, joined with "/" (the name itself at the top). */
  path: string
  kind: ShareKind
  size: number
  /** The entry's own link: it opens this entry alone. */
  link: string
}

export interface ListSummary {
  cid: string
  name: string
  entries: ListEntry[]
  /** The version listed, for a mutable link; null for any other link. */
  sequence: number | null
}

export interface RenewRequest {
  /** A link (a verify-only one will do); absent: every share this repo made. */
  link?: string
}

export interface RenewSummary {
  shares: Array<{
    cid: string
    units: number
    /** The fewest holders any unit of the share was renewed on. */
    copies: number
    /** Every renewed copy is kept at least until then (ISO 8601); null when some unit was renewed nowhere. */
    keptUntil: string | null
  }>
}

export interface PinSummary {
  cid: string
  /** Shares pinned or unpinned: the link's own, and a folder's entries. */
  shares: number
  units: number
  /** Pinning: blocks and bytes copied to the node (those it held already are not counted). */
  blocks?: number
  bytes?: number
}

export interface PinsSummary {
  /** Root CIDs of the shares pinned by their own link. */
  pins: string[]
}

export interface GcSummary {
  /** Blocks and bytes removed, and blocks kept. */
  blocks: number
  bytes: number
  kept: number
}

/**
 * `veil status` on the wire: the node's status with the storage part cut to
 * the counters the CLI shows (statusOp copies field by field, so nothing new
 * added to NodeStatus reaches the API by accident).
 */
export type StatusSummary = Omit<NodeStatus, 'storage'> & {
  storage?: Pick<StorageStatus, 'capacity' | 'used' | 'blocks' | 'units' | 'pinnedShares' | 'expiredUnits' | 'perPeer' | 'topPeers' | 'repairBacklog' | 'lastRepair' | 'lastScrub' | 'lastGc'>
}

export interface PeerSummary {
  /** `addresses`: where the peer listens (from identify); `connections`: how this node is connected to it. */
  peers: Array<{ id: string, addresses: string[], connections: Array<{ address: string, relayed: boolean, direction: 'inbound' | 'outbound' }> }>
}

/** A time in ms since the epoch as ISO 8601, or null. */
export function isoTime (ms: number | undefined): string | null {
  return ms === undefined || !Number.isFinite(ms) || ms <= 0 ? null : new Date(ms).toISOString()
}

/** Flatten a library progress event (its detail may hold CIDs) into JSON. */
export function toWireProgress (event: { type: string, detail?: unknown }): WireProgress {
  const detail: WireProgress['detail'] = {}
  if (event.detail !== null && typeof event.detail === 'object') {
    for (const [key, value] of Object.entries(event.detail as Record<string, unknown>)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) detail[key] = value
      else if (CID.asCID(value) !== null) detail[key] = String(value)
    }
  }
  return { type: event.type, detail }
}

/** An error as JSON; anything that is not one of ours says only that it was unexpected. */
export function toWireError (err: unknown): WireError {
  const e = err as { name?: unknown, code?: unknown, message?: unknown }
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    code: typeof e?.code === 'string' ? e.code : 'ERR_UNEXPECTED',
    message: typeof e?.message === 'string' ? e.message : String(err)
  }
}

/** The outcome of a streamed `get`, as the trailer carries it. */
export function encodeTrailer (value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

export function decodeTrailer (text: string): unknown {
  return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
}
