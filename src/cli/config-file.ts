/**
 * The config file: the keys it may set (config/default.json sets them all),
 * reading and checking their types, and merging changes into a repo's
 * config.json. What the values mean is checked in config-checks.ts.
 */
import { existsSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigError } from './errors.js'

export const CONFIG_FILE = 'config.json'
export const SWARM_KEY_FILE = 'swarm.key'

/** The keys a config file may set (config/default.json sets them all). */
export interface ConfigFile {
  /** Multiaddrs a node started with `veil node start` listens on. */
  listen?: string[]
  /** Peers to join through, each ending with /p2p/<peer id>. */
  bootstrap?: string[]
  /** host:port of the daemon's control API (loopback only; port 0 picks one). */
  api?: string
  /** Copies a share gets on storage nodes. */
  replicas?: number
  /** Space a storage node gives ("50GiB"); null: not a storage node. */
  storage?: string | number | null
  /** What one pusher may use of a storage node: a size ("5GiB") or a share ("10%"); null: a tenth (half in a private swarm). */
  perPeerStorage?: string | number | null
  /** Who may push to a storage node: "any", "swarm" (members of its private swarm), or a list of peer ids. */
  acceptFrom?: 'any' | 'swarm' | string[]
  /** Path of the swarm key file (relative to the repo); null: <repo>/swarm.key if it exists. */
  swarmKey?: string | null
  /** Refuse to run without a swarm key. */
  requireSwarm?: boolean
  /**
   * host:port the node's HTTP gateway listens on (`veil node start`), such
   * as "127.0.0.1:8080"; null: no gateway. A URL here is read as
   * `gatewayUrl`, which this key meant before the gateway existed.
   */
  gateway?: string | null
  /** The public address of a gateway (https://host[:port]) for the gateway form of links; null: none. */
  gatewayUrl?: string | null
  /**
   * A node's timing, durations like "90s", "10m", "1h", "30d": a storage
   * node's { repairEvery, scrubEvery, collectEvery, lease, orphanGrace } and
   * how often a running node renews the leases of the shares it made
   * (renewEvery), and how often it puts mutable links' records into the DHT
   * again (republishEvery). Unset keys keep the library defaults (1 h, 24 h,
   * 1 h, 30 d, 10 min, 10 d, 12 h). VEIL_TEST_MODE=1 sets them all short (5 s,
   * 20 s, 10 s, 10 min, 20 s, 1 min, 10 s) for test swarms.
   */
  maintenance?: Partial<Record<MaintenanceKey, string>> | null
  /** Addresses `veil node start` tells peers to dial, such as a port forward's public address (multiaddrs). */
  announce?: string[]
  /** How long share/get (and each attempt of a running node) wait to join the swarm: a duration such as "30s". */
  joinTimeout?: string
  /** host:port for `veil node start`'s Prometheus /metrics (loopback by default); null: off. */
  metrics?: string | null
  /** Ask the home router for a port forward (UPnP) when `veil node start` runs. */
  upnp?: boolean
  /**
   * Circuit relay v2 (see docs/network.md): `server` — a storage node relays for
   * peers behind NAT ("storage", true or false); `dataLimit` / `durationLimit` —
   * per relayed connection on the public network ("128KiB", "2m"; members of a
   * private swarm are never limited); `unlimited: true` relays without limits on the
   * public network too (the operator gives the bandwidth); `maxReservations` — peers it relays for at once.
   */
  relay?: { server?: 'storage' | boolean, dataLimit?: string, durationLimit?: string, unlimited?: boolean, maxReservations?: number } | null
}

export type MaintenanceKey = 'repairEvery' | 'scrubEvery' | 'collectEvery' | 'lease' | 'orphanGrace' | 'renewEvery' | 'republishEvery'

let defaultsFile: string | undefined

/**
 * config/default.json in the package: found by walking up from this module,
 * so it resolves from dist/src/cli (the built CLI) and from src/cli (tests).
 */
export function defaultsPath (): string {
  if (defaultsFile !== undefined) return defaultsFile
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'config', 'default.json')
    if (existsSync(candidate)) return (defaultsFile = candidate)
    dir = dirname(dir)
  }
  throw new ConfigError('the package\'s config/default.json is missing: reinstall Veil')
}

/** Read and check a config file; a missing file is an empty config. */
export async function readConfigFile (path: string, shown: string): Promise<ConfigFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new ConfigError(`cannot read ${shown}: ${(err as Error).message}`, { cause: err })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${shown} is not valid JSON (${(err as Error).message}): fix it or delete it`, { cause: err })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${shown} must hold a JSON object like {"bootstrap": ["/ip4/…/p2p/…"]}`)
  const config = value as Record<string, unknown>
  const expect = (key: keyof ConfigFile, ok: (v: unknown) => boolean, what: string): void => {
    if (config[key] !== undefined && !ok(config[key])) throw new ConfigError(`"${key}" in ${shown} must be ${what}`)
  }
  const stringList = (v: unknown): boolean => Array.isArray(v) && v.every(s => typeof s === 'string')
  expect('listen', stringList, 'a list of multiaddrs')
  expect('bootstrap', stringList, 'a list of multiaddrs')
  expect('api', v => typeof v === 'string', 'a "host:port" string')
  expect('replicas', v => typeof v === 'number', 'a number')
  expect('storage', v => v === null || typeof v === 'string' || typeof v === 'number', 'a size such as "50GiB", or null')
  expect('perPeerStorage', v => v === null || typeof v === 'string' || typeof v === 'number', 'a size such as "5GiB", a share such as "10%", or null')
  expect('acceptFrom', v => v === 'any' || v === 'swarm' || stringList(v), '"any", "swarm" or a list of peer ids')
  expect('swarmKey', v => v === null || typeof v === 'string', 'a file path, or null')
  expect('requireSwarm', v => typeof v === 'boolean', 'true or false')
  expect('gateway', v => v === null || typeof v === 'string', 'the address the gateway listens on, such as "127.0.0.1:8080", or null')
  expect('gatewayUrl', v => v === null || typeof v === 'string', 'a gateway address such as "https://gw.example.org", or null')
  expect('announce', stringList, 'a list of multiaddrs')
  expect('joinTimeout', v => typeof v === 'string', 'a duration such as "30s"')
  expect('metrics', v => v === null || typeof v === 'string', 'a "host:port" string, or null')
  expect('upnp', v => typeof v === 'boolean', 'true or false')
  expect('relay', v => v === null || (typeof v === 'object' && !Array.isArray(v)), 'an object like {"server": "storage", "dataLimit": "128KiB", "durationLimit": "2m"}, or null')
  expect('maintenance', v => v === null || (typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every(d => typeof d === 'string')), 'an object of durations like {"repairEvery": "1h"}, or null')
  return config as ConfigFile
}

/** Merge `patch` into <repo>/config.json (written atomically). */
export async function updateRepoConfig (repo: string, patch: ConfigFile): Promise<string> {
  const path = join(repo, CONFIG_FILE)
  const current = await readConfigFile(path, path)
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify({ ...current, ...patch }, null, 2) + '\n')
  await rename(tmp, path)
  return path
}
