/**
 * The repo folder (`--repo`, `$VEIL_HOME`, `~/.veil`) and the files in it:
 *
 *   identity.key        the node's Ed25519 key (made by VeilNode)
 *   store/              the block store
 *   config.json         the user's settings (see config.ts)
 *   swarm.key           the private swarm's key, when created or joined here
 *   convergence.secret  32 random bytes for `share --convergent` (mode 0600)
 *   api.json            written by a running daemon: { url, token, pid, addresses } (mode 0600)
 */
import { createHmac, randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { SwarmKey } from '../swarm/index.js'
import type { DaemonClient } from '../control/index.js'
import { ConfigError } from './errors.js'
import type { Settings } from './config.js'

export const API_FILE = 'api.json'
export const CONVERGENCE_FILE = 'convergence.secret'
export const IDENTITY_FILE = 'identity.key'

/** Create the repo folder (owner-only) if needed; a path that is not a folder is an error. */
export async function ensureRepo (repo: string): Promise<void> {
  try {
    await mkdir(repo, { recursive: true, mode: 0o700 })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new ConfigError(`the repo ${repo} is a file, not a folder: choose another with --repo <dir> or VEIL_HOME`, { cause: err })
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new ConfigError(`cannot create the repo ${repo}: permission denied; choose another with --repo <dir> or VEIL_HOME`, { cause: err })
    throw new ConfigError(`cannot create the repo ${repo}: ${(err as Error).message}`, { cause: err })
  }
  const info = await stat(repo)
  if (!info.isDirectory()) throw new ConfigError(`the repo ${repo} is a file, not a folder: choose another with --repo <dir> or VEIL_HOME`)
}

export async function repoExists (repo: string): Promise<boolean> {
  return await stat(repo).then(info => info.isDirectory(), () => false)
}

/** The repo's peer id, read without creating an identity. */
export async function readPeerId (repo: string): Promise<string | undefined> {
  const bytes = await readFile(join(repo, IDENTITY_FILE)).catch(() => undefined)
  if (bytes === undefined) return undefined
  const [{ privateKeyFromProtobuf }, { peerIdFromPrivateKey }] = await Promise.all([import('@libp2p/crypto/keys'), import('@libp2p/peer-id')])
  try {
    return peerIdFromPrivateKey(privateKeyFromProtobuf(bytes)).toString()
  } catch {
    throw new ConfigError(`the node identity at ${join(repo, IDENTITY_FILE)} is damaged: restore it from a backup, or delete it to become a new peer`)
  }
}

// --- the private swarm ---------------------------------------------------------

export interface LoadedSwarm extends SwarmKey {
  path: string
}

/** The configured swarm key, read and checked (a bad file fails with a message naming the line). */
export async function loadSwarm (settings: Settings): Promise<LoadedSwarm | undefined> {
  if (settings.swarmKeyPath === undefined) return undefined
  const { readSwarmKeyFile } = await import('../swarm/index.js')
  return { ...await readSwarmKeyFile(settings.swarmKeyPath), path: settings.swarmKeyPath }
}

/**
 * The secret `--convergent` shares derive their keys from. In a private
 * swarm it comes from the swarm key, so every member dedups alike;
 * otherwise it is the repo's own random secret, made on first use.
 */
export async function convergenceSecret (repo: string, swarmKey?: Uint8Array): Promise<Uint8Array> {
  if (swarmKey !== undefined) return new Uint8Array(createHmac('sha256', swarmKey).update('veil/v1/convergence').digest())
  const path = join(repo, CONVERGENCE_FILE)
  const existing = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw new ConfigError(`cannot read ${path}: ${err.message}`, { cause: err })
  })
  if (existing !== undefined) {
    if (existing.length !== 32) throw new ConfigError(`${path} is damaged (it must hold 32 bytes): restore it from a backup, or delete it (new convergent shares will no longer dedup with old ones)`)
    return new Uint8Array(existing)
  }
  const secret = randomBytes(32)
  const handle = await open(path, 'wx', 0o600).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') return undefined
    throw new ConfigError(`cannot write ${path}: ${err.message}`, { cause: err })
  })
  if (handle === undefined) return await convergenceSecret(repo)
  try {
    await handle.writeFile(secret)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return new Uint8Array(secret)
}

// --- the running daemon --------------------------------------------------------

export interface ApiInfo {
  url: string
  token: string
  pid: number
  addresses: string[]
}

export async function writeApiInfo (repo: string, info: ApiInfo): Promise<void> {
  const path = join(repo, API_FILE)
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 })
  await rename(tmp, path)
}

export async function readApiInfo (repo: string): Promise<ApiInfo | undefined> {
  const text = await readFile(join(repo, API_FILE), 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  try {
    const info = JSON.parse(text) as Partial<ApiInfo>
    if (typeof info.url !== 'string' || typeof info.token !== 'string' || typeof info.pid !== 'number' || !Array.isArray(info.addresses)) return undefined
    return info as ApiInfo
  } catch {
    return undefined
  }
}

/** Remove api.json if it is `pid`'s (a newer daemon's file is left alone). */
export async function removeApiInfo (repo: string, pid: number = process.pid): Promise<void> {
  const info = await readApiInfo(repo)
  if (info === undefined || info.pid === pid) await rm(join(repo, API_FILE), { force: true })
}

export interface RunningDaemon {
  info: ApiInfo
  client: DaemonClient
}

/**
 * The daemon running for this repo, if any. A stale api.json — its process
 * is gone, or its API does not answer — is ignored and removed.
 */
export async function findDaemon (repo: string, timeoutMs = 5_000): Promise<RunningDaemon | undefined> {
  const info = await readApiInfo(repo)
  if (info === undefined) {
    await rm(join(repo, API_FILE), { force: true }).catch(() => {})
    return undefined
  }
  if (info.pid !== process.pid && isAlive(info.pid)) {
    const { DaemonClient } = await import('../control/index.js')
    const client = new DaemonClient(info.url, info.token)
    try {
      await client.status({ signal: AbortSignal.timeout(timeoutMs) })
      return { info, client }
    } catch {
      // no answer: stale
    }
  }
  await removeApiInfo(repo, info.pid).catch(() => {})
  return undefined
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
