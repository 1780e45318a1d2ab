/**
 * What the CLI asks of a node, in one place: the daemon runs these for its
 * control API, and the CLI runs them on a temporary light node when no
 * daemon is running. Both therefore answer with the same shapes and errors.
 */
import { access, constants, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Writable } from 'node:stream'
import { formatLink, parseLink, parseShareLink, type ShareLink } from '../link/index.js'
import { checkFolder, type FolderLimits, type OpenedShare } from '../exporter/index.js'
import type { Fetcher } from '../fetch/index.js'
import { checkEntryName } from '../format/index.js'
import { InvalidOptionError, OutputError } from '../errors.js'
import { resolveLink, type LinkTarget, type NodeShareResult, type VeilNode } from '../node/index.js'
import { NotAFolderError } from './errors.js'
import { openSharePath, walkTree } from './share-path.js'
import { writeFolderTar } from './tar-output.js'
import {
  isoTime, toWireProgress, type GcSummary, type GetSummary, type ListSummary, type PeerSummary, type PinSummary, type PinsSummary, type RenewSummary,
  type ShareSummary, type StatusSummary, type WireProgress
} from '../control/index.js'

export interface OpOptions {
  signal?: AbortSignal
  onProgress?: (event: WireProgress) => void
}

/** Checkpoint a download every this many blocks (the library's default is 32). */
export const CHECKPOINT_BLOCKS = 8

export interface ShareOpInit {
  path: string
  replicas: number
  /** Keep and serve the blocks here (a daemon) or drop them once placed (a light client). */
  keepLocal: boolean
  convergenceSecret?: Uint8Array
  /** Make the share expire then (ms since the epoch): storage nodes delete it, readers refuse it. */
  expires?: number
}

export async function shareOp (node: VeilNode, init: ShareOpInit, options: OpOptions = {}): Promise<ShareSummary> {
  return summarizeShare(await shareWith(node, init, options), init.expires)
}

/** node.share with an operation's settings and progress. */
export async function shareWith (node: VeilNode, init: ShareOpInit, options: OpOptions): Promise<NodeShareResult> {
  return await node.share(init.path, {
    replicas: init.replicas,
    keepLocal: init.keepLocal,
    convergenceSecret: init.convergenceSecret,
    expires: init.expires,
    signal: options.signal,
    onProgress: progressRelay(options)
  })
}

export function summarizeShare (result: NodeShareResult, expires: number | undefined): ShareSummary {
  // A folder's result also counts its files and their total size.
  const folder = result as Partial<{ files: number, totalSize: number }>
  const isFolder = result.meta.kind === 'folder'
  return {
    link: result.link,
    cid: result.cid.toString(),
    name: result.meta.name,
    kind: result.meta.kind,
    size: isFolder ? folder.totalSize ?? 0 : result.meta.size,
    files: isFolder ? folder.files ?? 0 : 1,
    replicas: result.replicas,
    replicasWanted: result.replicasWanted,
    placementFailures: result.placementFailures,
    keptUntil: isoTime(result.keptUntil),
    keptLocal: !result.removedLocal,
    expires: isoTime(expires)
  }
}

/** How a link is read by operations that follow mutable links: any form, a path, a name. */
const FOLLOW = { allowPath: true, allowName: true } as const

/** A link's target now: a mutable link resolved to its share (and which version), any other as it is. */
async function target (node: VeilNode, text: string, options: OpOptions): Promise<{ link: ShareLink, sequence: number | null }> {
  const parsed = parseShareLink(text, FOLLOW)
  const resolved = await resolveLink(node.names, parsed, { signal: options.signal })
  return { link: { cid: resolved.cid, key: resolved.key!, path: resolved.path }, sequence: resolved.version?.sequence ?? null }
}

/**
 * What pin, unpin and renew reach from any link: a mutable link is resolved
 * (it needs its key); a password-protected link counts as its verify-only
 * form (its share's own units; a folder's entries need the key).
 */
async function verifyTarget (node: VeilNode, text: string, options: OpOptions): Promise<LinkTarget> {
  const parsed = parseLink(text, { allowName: true, allowPassword: true })
  return await resolveLink(node.names, { cid: parsed.cid, key: parsed.key }, { signal: options.signal })
}

export interface GetOpInit {
  link: string
  /** A path, a stream, or undefined for `<cwd>/<share name>`. */
  output?: string | Writable
  /** The folder the default output goes into (needed when `output` is absent). */
  cwd?: string
  force?: boolean
  /** Caps on what a folder share may write (library defaults when absent). */
  limits?: FolderLimits
  /** Told once the share is open and known to fit the output, before any byte is written. */
  onOpen?: (share: { name: string, kind: string, size: number }) => void | Promise<void>
}

export async function getOp (node: VeilNode, init: GetOpInit, options: OpOptions = {}): Promise<GetSummary> {
  const { link: parsed, sequence } = await target(node, init.link, options)
  let link: ShareLink = { cid: parsed.cid, key: parsed.key }
  let output = init.output
  if (typeof output === 'string') await checkOutputPath(output)
  const intoFolder = typeof output === 'string' && await isFolder(output)
  if (output === undefined || typeof output !== 'string' || intoFolder || init.onOpen !== undefined || (parsed.path?.length ?? 0) > 0) {
    // Open the share first (following the link's path): its name is the
    // default output, its kind decides what a folder or a stream gets.
    const fetcher = node.fetcher()
    const share = await openSharePath(parsed, fetcher, { signal: options.signal })
    const { name, kind, size } = share.meta
    link = { cid: share.cid, key: share.key }
    if (output === undefined) {
      if (init.cwd === undefined) throw new InvalidOptionError('give an output path, or the folder to write the share into')
      output = join(init.cwd, safeOutputName(name))
      await checkOutputPath(output)
    } else if (typeof output === 'string' && intoFolder && kind === 'file') {
      // -o <existing folder>: the file goes inside it, as cp does.
      output = join(output, safeOutputName(name))
    }
    await init.onOpen?.({ name, kind, size })
    if (typeof output !== 'string' && kind === 'folder') return { ...await tarOp(share, fetcher, output, init.limits, options), sequence }
  }
  const result = await node.get(link, {
    output,
    overwrite: init.force === true,
    checkpointBlocks: CHECKPOINT_BLOCKS,
    folderLimits: init.limits,
    signal: options.signal,
    onProgress: progressRelay(options)
  })
  return {
    path: typeof output === 'string' ? output : '-',
    cid: result.cid.toString(),
    name: result.name,
    kind: result.kind,
    size: result.size,
    bytesWritten: result.bytesWritten,
    resumedBlocks: result.resumedBlocks,
    alreadyComplete: result.alreadyComplete,
    files: result.files,
    blocksFetched: result.blocksFetched,
    bytesFetched: result.bytesFetched,
    sequence
  }
}

/** A folder share to a stream, as tar; progress as the file bytes go out. */
async function tarOp (share: OpenedShare, fetcher: Fetcher, output: Writable, limits: FolderLimits | undefined, options: OpOptions): Promise<Omit<GetSummary, 'sequence'>> {
  const { name, kind, size } = share.meta
  // The same limits as a folder written to disk, checked before the first byte goes out.
  await checkFolder(share, fetcher, { folderLimits: limits, signal: options.signal, onProgress: progressRelay(options) })
  options.onProgress?.({ type: 'veil:export:start', detail: { name, kind, size, blocks: share.root.blockCount } })
  const result = await writeFolderTar(share, fetcher, output, {
    signal: options.signal,
    onBytes: bytes => { options.onProgress?.({ type: 'veil:export:block', detail: { bytes } }) }
  })
  return {
    path: '-',
    cid: share.cid.toString(),
    name,
    kind,
    size,
    bytesWritten: result.bytesWritten,
    resumedBlocks: 0,
    alreadyComplete: false,
    files: result.files,
    blocksFetched: fetcher.stats.blocksFetched,
    bytesFetched: fetcher.stats.bytesFetched
  }
}

export interface ListOpInit {
  link: string
  /** The whole tree, not only the folder's own entries. */
  recursive?: boolean
}

export async function listOp (node: VeilNode, init: ListOpInit, options: OpOptions = {}): Promise<ListSummary> {
  const { link, sequence } = await target(node, init.link, options)
  const fetcher = node.fetcher()
  const share = await openSharePath(link, fetcher, { signal: options.signal })
  if (share.meta.kind !== 'folder') throw new NotAFolderError()
  const entries: ListSummary['entries'] = []
  for await (const e of walkTree(share, fetcher, { signal: options.signal, recursive: init.recursive === true })) {
    entries.push({ name: e.name, path: e.path.join('/'), kind: e.kind, size: e.size, link: formatLink({ cid: e.cid, key: e.key }) })
  }
  return { cid: share.cid.toString(), name: share.meta.name, entries, sequence }
}

async function isFolder (path: string): Promise<boolean> {
  return await stat(path).then(info => info.isDirectory(), () => false)
}

/**
 * Pin takes any link: a verify-only one pins that share's own blocks; a full
 * link to a folder pins every entry too (the listing needs the key).
 */
export async function pinOp (node: VeilNode, text: string, options: OpOptions = {}): Promise<PinSummary> {
  const link = await verifyTarget(node, text, options)
  const result = await node.pin(link, { signal: options.signal, onProgress: progressRelay(options) })
  return { cid: link.cid.toString(), shares: result.shares, units: result.units, blocks: result.blocks, bytes: result.bytes }
}

export async function unpinOp (node: VeilNode, text: string, options: OpOptions = {}): Promise<PinSummary> {
  const link = await verifyTarget(node, text, options)
  const result = await node.unpin(link, { signal: options.signal })
  return { cid: link.cid.toString(), shares: result.shares, units: result.units }
}

export async function pinsOp (node: VeilNode): Promise<PinsSummary> {
  return { pins: (await node.pins()).map(String) }
}

export async function gcOp (node: VeilNode, options: OpOptions = {}): Promise<GcSummary> {
  return await node.collectGarbage({ signal: options.signal })
}

/** Renew a share's leases (any link, a verify-only one included), or every share this repo made. */
export async function renewOp (node: VeilNode, text: string | undefined, options: OpOptions = {}): Promise<RenewSummary> {
  const results = await node.renew(text === undefined ? undefined : await verifyTarget(node, text, options), { signal: options.signal })
  return { shares: results.map(r => ({ cid: r.root.toString(), units: r.units, copies: r.copies, keptUntil: isoTime(r.keptUntil) })) }
}

export async function statusOp (node: VeilNode): Promise<StatusSummary> {
  const status = await node.status()
  const storage = status.storage
  return {
    peerId: status.peerId,
    addresses: status.addresses,
    ...(status.swarmId !== undefined ? { swarmId: status.swarmId } : {}),
    peers: status.peers,
    dhtPeers: status.dhtPeers,
    announced: status.announced,
    refusedConnections: status.refusedConnections,
    store: { blocks: status.store.blocks, bytes: status.store.bytes },
    ...(storage !== undefined
      ? {
          storage: {
            capacity: storage.capacity,
            used: storage.used,
            blocks: storage.blocks,
            units: storage.units,
            pinnedShares: storage.pinnedShares,
            expiredUnits: storage.expiredUnits,
            perPeer: storage.perPeer,
            topPeers: storage.topPeers,
            repairBacklog: storage.repairBacklog,
            lastRepair: storage.lastRepair,
            lastScrub: storage.lastScrub,
            lastGc: storage.lastGc
          }
        }
      : {})
  }
}

/**
 * The connected peers, each with the addresses it listens on as its identify
 * message told them (not the ephemeral port its connection came from), and
 * how each connection runs: direct, or relayed through a circuit.
 */
export async function peersOp (node: VeilNode): Promise<PeerSummary> {
  const byPeer = new Map<string, PeerSummary['peers'][number]>()
  for (const conn of node.libp2p.getConnections()) {
    const id = conn.remotePeer.toString()
    let peer = byPeer.get(id)
    if (peer === undefined) {
      const listen = await node.libp2p.peerStore.get(conn.remotePeer).then(p => p.addresses.map(a => a.multiaddr.toString()), (): string[] => [])
      peer = { id, addresses: listen, connections: [] }
      byPeer.set(id, peer)
    }
    const address = conn.remoteAddr.toString()
    peer.connections.push({ address, relayed: address.includes('/p2p-circuit'), direction: conn.direction })
  }
  // A peer that has not identified itself yet: its connection's address is all there is.
  for (const peer of byPeer.values()) if (peer.addresses.length === 0) peer.addresses = peer.connections.map(c => c.address)
  return { peers: [...byPeer.values()].sort((a, b) => a.id < b.id ? -1 : 1) }
}

/**
 * Fail early, before any network work, when an output path cannot be
 * written: its folder is missing, is not a folder, or is not writable.
 */
export async function checkOutputPath (path: string): Promise<void> {
  const parent = dirname(path)
  const info = await stat(parent).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
      throw new OutputError(`cannot write ${path}: the folder ${parent} does not exist; create it or choose another path with -o`, { cause: err })
    }
    throw new OutputError(`cannot write ${path}: ${err.message}`, { cause: err })
  })
  if (!info.isDirectory()) throw new OutputError(`cannot write ${path}: ${parent} is not a folder; choose another path with -o`)
  await access(parent, constants.W_OK).catch((err: NodeJS.ErrnoException) => {
    throw new OutputError(`cannot write ${path}: permission denied in ${parent}; choose another path with -o`, { cause: err })
  })
}

/** The share's own name as an output file name, if it is one safe path component. */
export function safeOutputName (name: string): string {
  try {
    checkEntryName(name)
    // Control characters would garble the terminal when the path is printed.
    if (/[\u0000-\u001f\u007f]/.test(name)) throw new Error('control character')
    return name
  } catch {
    throw new OutputError('the share\'s name cannot be used as a file name here: choose the output path with -o <path>')
  }
}

function progressRelay (options: OpOptions): ((event: { type: string, detail?: unknown }) => void) | undefined {
  const onProgress = options.onProgress
  if (onProgress === undefined) return undefined
  return (event) => { onProgress(toWireProgress(event)) }
}
