/**
 * Where every setting comes from, in order: command-line flags, then the
 * environment (VEIL_HOME, VEIL_BOOTSTRAP, VEIL_SWARM_KEY, VEIL_FORCE_SWARM,
 * VEIL_API), then the repo's config.json, then config/default.json shipped
 * in the package. A bad flag value is a usage error (exit 2); a bad value in
 * the environment or a file is a ConfigError naming where it came from.
 */
import { existsSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { multiaddr as Multiaddr } from '@multiformats/multiaddr'
import { ConfigError, UsageError } from './errors.js'

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

const MAINTENANCE_KEYS: MaintenanceKey[] = ['repairEvery', 'scrubEvery', 'collectEvery', 'lease', 'orphanGrace', 'renewEvery', 'republishEvery']

/** A storage node's timing, in milliseconds (only what was set). */
export type Maintenance = Partial<Record<MaintenanceKey, number>>

/** How often `veil node start` renews the leases of the repo's own shares, unless configured (a third of the default 30-day lease). */
export const DEFAULT_RENEW_EVERY_MS = 10 * 86_400_000

/** VEIL_TEST_MODE: short enough that repair and collection are seen within a test. */
export const TEST_MODE_MAINTENANCE: Maintenance = { repairEvery: 5_000, scrubEvery: 20_000, collectEvery: 10_000, lease: 600_000, orphanGrace: 20_000, renewEvery: 60_000, republishEvery: 10_000 }

export interface Settings {
  repo: string
  listen: string[]
  bootstrap: string[]
  api: { host: string, port: number }
  replicas: number
  /** Storage capacity in bytes, or undefined for a node that is not a storage node. */
  storage: number | undefined
  /** Bytes one pusher may use of the storage node (undefined: the library's default share). */
  perPeerStorage: number | undefined
  acceptFrom: 'any' | 'swarm' | string[]
  swarmKeyPath: string | undefined
  requireSwarm: boolean
  maintenance: Maintenance
  /** The gateway's origin for gateway links, if one is configured (the same as gatewayUrl). */
  gateway: string | undefined
  /** The gateway's origin for gateway links (`gatewayUrl`), if one is configured. */
  gatewayUrl: string | undefined
  /** Where `veil node start` serves its HTTP gateway; undefined: no gateway. */
  gatewayListen: { host: string, port: number } | undefined
  announce: string[]
  /** ms; undefined: the library's default. */
  joinTimeout: number | undefined
  metrics: { host: string, port: number } | undefined
  upnp: boolean
  relay: { server: 'storage' | boolean, dataLimit: number | undefined, durationLimitMs: number | undefined, unlimited: boolean, maxReservations: number | undefined }
}

/** Flags already parsed by commander (sizes and counts are numbers). */
export interface SettingFlags {
  repo?: string
  listen?: string[]
  bootstrap?: string[]
  api?: string
  replicas?: number
  storage?: number
  perPeerStorage?: string
  acceptFrom?: string
  swarmKey?: string
  /** A gateway URL (the `share --gateway` flag, the old name of --gateway-url). */
  gateway?: string
  gatewayUrl?: string
  /** `node start --gateway <host:port>`. */
  gatewayListen?: string
  announce?: string[]
  joinTimeout?: string
  metrics?: string
  upnp?: boolean
}

type Env = Record<string, string | undefined>

/** Where a value came from, for error messages. */
interface Origin { flag: boolean, where: string }

export function repoDir (flag: string | undefined, env: Env = process.env): string {
  const dir = nonEmpty(flag) ?? nonEmpty(env.VEIL_HOME) ?? join(homedir(), '.veil')
  return resolve(dir)
}

export async function loadSettings (flags: SettingFlags, env: Env = process.env): Promise<Settings> {
  const repo = repoDir(flags.repo, env)
  const defaults = await readConfigFile(defaultsPath(), 'the package defaults (config/default.json)')
  const file = await readConfigFile(join(repo, CONFIG_FILE), join(repo, CONFIG_FILE))
  const fileOrigin = (key: string): Origin => ({ flag: false, where: `"${key}" in ${join(repo, CONFIG_FILE)}` })
  const defaultOrigin = (key: string): Origin => ({ flag: false, where: `"${key}" in config/default.json` })

  const pick = <T>(key: keyof ConfigFile, flag: T | undefined, fromEnv: { value: T | undefined, name: string } | undefined): { value: T | undefined, origin: Origin } => {
    if (flag !== undefined) return { value: flag, origin: { flag: true, where: `--${key.replace(/[A-Z]/g, c => '-' + c.toLowerCase())}` } }
    if (fromEnv?.value !== undefined) return { value: fromEnv.value, origin: { flag: false, where: fromEnv.name } }
    if (file[key] !== undefined) return { value: file[key] as T, origin: fileOrigin(key) }
    return { value: defaults[key] as T, origin: defaultOrigin(key) }
  }

  const listen = pick<string[]>('listen', flags.listen, undefined)
  const bootstrap = pick<string[]>('bootstrap', flags.bootstrap, { value: listEnv(env.VEIL_BOOTSTRAP), name: 'VEIL_BOOTSTRAP' })
  const api = pick<string>('api', flags.api, { value: nonEmpty(env.VEIL_API), name: 'VEIL_API' })
  const replicas = pick<number>('replicas', flags.replicas, undefined)
  const storage = pick<string | number | null>('storage', flags.storage, undefined)
  const perPeer = pick<string | number | null>('perPeerStorage', flags.perPeerStorage, undefined)
  const acceptFrom = pick<string | string[]>('acceptFrom', flags.acceptFrom, undefined)
  const requireSwarm = pick<boolean>('requireSwarm', undefined, { value: boolEnv(env.VEIL_FORCE_SWARM), name: 'VEIL_FORCE_SWARM' })
  const urlFromEnv = nonEmpty(env.VEIL_GATEWAY_URL) !== undefined
    ? { value: nonEmpty(env.VEIL_GATEWAY_URL), name: 'VEIL_GATEWAY_URL' }
    : { value: nonEmpty(env.VEIL_GATEWAY), name: 'VEIL_GATEWAY' }
  let gateway = pick<string | null>('gatewayUrl', flags.gatewayUrl ?? flags.gateway, urlFromEnv)
  // "gateway" was the URL's key before node start served a gateway: a URL there still means gatewayUrl.
  const legacyUrl = (value: unknown): boolean => typeof value === 'string' && /^https?:\/\//i.test(value.trim())
  if ((gateway.value === null || gateway.value === undefined) && legacyUrl(file.gateway)) gateway = { value: file.gateway!, origin: fileOrigin('gateway') }
  const listenFlag = flags.gatewayListen
  const gatewayListen = listenFlag !== undefined
    ? { value: listenFlag, origin: { flag: true, where: '--gateway' } }
    : file.gateway !== undefined && file.gateway !== null && !legacyUrl(file.gateway)
      ? { value: file.gateway, origin: fileOrigin('gateway') }
      : { value: legacyUrl(defaults.gateway) ? null : defaults.gateway, origin: defaultOrigin('gateway') }
  const announce = pick<string[]>('announce', flags.announce, undefined)
  const joinTimeout = pick<string>('joinTimeout', flags.joinTimeout, { value: nonEmpty(env.VEIL_JOIN_TIMEOUT), name: 'VEIL_JOIN_TIMEOUT' })
  const metrics = pick<string | null>('metrics', flags.metrics, { value: nonEmpty(env.VEIL_METRICS), name: 'VEIL_METRICS' })
  const upnp = pick<boolean>('upnp', flags.upnp, undefined)
  const relay = pick<ConfigFile['relay']>('relay', undefined, undefined)
  const maintenance = boolEnv(env.VEIL_TEST_MODE) === true
    ? { value: undefined, origin: { flag: false, where: 'VEIL_TEST_MODE' } }
    : pick<ConfigFile['maintenance']>('maintenance', undefined, undefined)

  const capacity = storage.value === null || storage.value === undefined ? undefined : checkStorage(storage.value, storage.origin)
  const listenTexts = listen.value ?? []
  const announceTexts = (announce.value ?? []).flatMap(text => text.split(',')).map(s => s.trim()).filter(s => s.length > 0)
  const bootstrapTexts = (bootstrap.value ?? []).flatMap(text => text.split(',')).map(s => s.trim()).filter(s => s.length > 0)
  // Loaded only when there is an address to check: it is not small.
  const parse = listenTexts.length + bootstrapTexts.length + announceTexts.length > 0 ? (await import('@multiformats/multiaddr')).multiaddr : undefined
  return {
    repo,
    listen: listenTexts.map(text => checkListen(parse!, text, listen.origin)),
    bootstrap: bootstrapTexts.map(text => checkBootstrap(parse!, text, bootstrap.origin)),
    api: parseHostPort(api.value ?? '127.0.0.1:0', api.origin),
    replicas: checkReplicas(replicas.value ?? 3, replicas.origin),
    storage: capacity,
    perPeerStorage: perPeer.value === null || perPeer.value === undefined || capacity === undefined ? undefined : checkPerPeer(perPeer.value, capacity, perPeer.origin),
    acceptFrom: checkAcceptFrom(acceptFrom.value ?? 'any', acceptFrom.origin),
    swarmKeyPath: swarmKeyPath(repo, flags.swarmKey, env, file, defaults),
    requireSwarm: requireSwarm.value === true,
    gateway: gateway.value === null || gateway.value === undefined ? undefined : checkGateway(gateway.value, gateway.origin),
    gatewayUrl: gateway.value === null || gateway.value === undefined ? undefined : checkGateway(gateway.value, gateway.origin),
    gatewayListen: gatewayListen.value === null || gatewayListen.value === undefined ? undefined : parseGatewayListen(gatewayListen.value, gatewayListen.origin),
    maintenance: maintenance.origin.where === 'VEIL_TEST_MODE' ? TEST_MODE_MAINTENANCE : parseMaintenance(maintenance.value ?? {}, maintenance.origin),
    announce: announceTexts.map(text => checkAnnounce(parse!, text, announce.origin)),
    joinTimeout: joinTimeout.value === undefined ? undefined : checkDuration(joinTimeout.value, joinTimeout.origin, 1_000),
    metrics: metrics.value === null || metrics.value === undefined ? undefined : parseHostPort(metrics.value, metrics.origin),
    upnp: upnp.value ?? true,
    relay: checkRelay(relay.value ?? {}, relay.origin)
  }
}

/** A duration of at least `minMs`, from a flag or a file. */
function checkDuration (text: string, origin: Origin, minMs: number): number {
  let ms: number
  try {
    ms = parseDuration(text)
  } catch (err) {
    throw fail(origin, `${origin.where}: ${(err as Error).message}`)
  }
  if (ms < minMs) throw fail(origin, `${origin.where} must be at least ${minMs / 1000} s`)
  return ms
}

function checkRelay (value: NonNullable<ConfigFile['relay']>, origin: Origin): Settings['relay'] {
  const server = value.server ?? 'storage'
  if (server !== 'storage' && typeof server !== 'boolean') throw fail(origin, `${origin.where}.server must be "storage", true or false`)
  let dataLimit: number | undefined
  if (value.dataLimit !== undefined) {
    try {
      dataLimit = parseSize(value.dataLimit)
    } catch (err) {
      throw fail(origin, `${origin.where}.dataLimit: ${(err as Error).message}`)
    }
  }
  const max = value.maxReservations
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1 || max > 1024)) throw fail(origin, `${origin.where}.maxReservations must be a whole number from 1 to 1024`)
  return {
    server,
    dataLimit,
    durationLimitMs: value.durationLimit === undefined ? undefined : checkDuration(value.durationLimit, { ...origin, where: `${origin.where}.durationLimit` }, 1_000),
    unlimited: value.unlimited === true,
    maxReservations: max
  }
}

/** An address to announce: a full transport address (TCP, or a relay circuit), without the /p2p/ suffix of this node. */
function checkAnnounce (multiaddr: typeof Multiaddr, text: string, origin: Origin): string {
  let ma
  try {
    ma = multiaddr(text)
  } catch (err) {
    throw fail(origin, `${origin.where} has "${text}", which is not a multiaddr (${(err as Error).message}): use one like /ip4/203.0.113.7/tcp/4001 or /dns4/veil.example.org/tcp/4001`)
  }
  const names = ma.getComponents().map(c => c.name)
  if (!(['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(names[0] ?? '') && names[1] === 'tcp')) {
    throw fail(origin, `${origin.where} has "${text}": announce the TCP address peers can reach, like /ip4/203.0.113.7/tcp/4001`)
  }
  return ma.toString()
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** "90s", "10m", "1h", "30d", "500ms" → milliseconds. */
export function parseDuration (text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i.exec(text)
  if (match === null) throw new Error(`"${text}" is not a duration: use a number with s, m, h or d, such as 90s, 10m, 1h or 30d`)
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]!.toLowerCase()]!)
}

function parseMaintenance (value: Partial<Record<MaintenanceKey, string>>, origin: Origin): Maintenance {
  const out: Maintenance = {}
  for (const key of MAINTENANCE_KEYS) {
    const text = value[key]
    if (text === undefined) continue
    try {
      out[key] = parseDuration(text)
    } catch (err) {
      throw fail(origin, `${origin.where}.${key}: ${(err as Error).message}`)
    }
  }
  return out
}

/** flag > VEIL_SWARM_KEY > config.json "swarmKey" > <repo>/swarm.key if present > defaults. */
function swarmKeyPath (repo: string, flag: string | undefined, env: Env, file: ConfigFile, defaults: ConfigFile): string | undefined {
  const chosen = nonEmpty(flag) ?? nonEmpty(env.VEIL_SWARM_KEY)
  if (chosen !== undefined) return resolve(chosen)
  if (typeof file.swarmKey === 'string') return resolve(repo, file.swarmKey)
  const inRepo = join(repo, SWARM_KEY_FILE)
  if (existsSync(inRepo)) return inRepo
  return typeof defaults.swarmKey === 'string' ? resolve(repo, defaults.swarmKey) : undefined
}

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

const SIZE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
const SIZE_POWERS: Record<string, number> = { b: 0, k: 1, m: 2, g: 3, t: 4, p: 5 }

/**
 * A human size: "50GiB", "1.5TiB", "500 MB", "1048576". Units are binary
 * everywhere in Veil (1 KiB = 1024 bytes); KB, MB, GB… are read the same way
 * as KiB, MiB, GiB…, as most disk tools do.
 */
export function parseSize (text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgtp])(?:i?b)?|(b))?\s*$/i.exec(text)
  if (match === null) throw new Error(`"${text}" is not a size: use a number with a unit, such as 500MiB, 50GiB or 1.5TiB`)
  const power = SIZE_POWERS[(match[2] ?? 'b').toLowerCase()]!
  const value = Number(match[1]) * 1024 ** power
  if (!Number.isFinite(value)) throw new Error(`"${text}" is not a size: use a number with a unit, such as 500MiB, 50GiB or 1.5TiB`)
  return Math.floor(value)
}

/** A size for people, in binary units labelled as such: "812 B", "3.0 MiB", "1.4 GiB". */
export function formatSize (value: number): string {
  if (!Number.isFinite(value) || value < 1024) return `${Number.isFinite(value) ? Math.max(0, Math.round(value)) : 0} B`
  let unit = 0
  let scaled = value
  while (scaled >= 1024 && unit < SIZE_UNITS.length - 1) {
    scaled /= 1024
    unit++
  }
  return `${scaled.toFixed(1)} ${SIZE_UNITS[unit]!}`
}

export function parseHostPort (text: string, origin: Origin = { flag: true, where: '--api' }): { host: string, port: number } {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim())
  const port = Number(match?.[3])
  if (match === null || port > 65535) throw fail(origin, `${origin.where} "${text}" must be host:port, such as 127.0.0.1:5001 (port 0 picks a free one)`)
  return { host: match[1] ?? match[2]!, port }
}

function checkListen (multiaddr: typeof Multiaddr, text: string, origin: Origin): string {
  let ma
  try {
    ma = multiaddr(text)
  } catch (err) {
    throw fail(origin, `${origin.where} has "${text}", which is not a multiaddr (${(err as Error).message}): use one like /ip4/0.0.0.0/tcp/4001`)
  }
  const names = ma.getComponents().map(c => c.name)
  if (!((names[0] === 'ip4' || names[0] === 'ip6') && names[1] === 'tcp' && names.length === 2)) {
    throw fail(origin, `${origin.where} has "${text}": a node listens on TCP, like /ip4/0.0.0.0/tcp/4001`)
  }
  return ma.toString()
}

function checkBootstrap (multiaddr: typeof Multiaddr, text: string, origin: Origin): string {
  let ma
  try {
    ma = multiaddr(text)
  } catch (err) {
    throw fail(origin, `${origin.where} has "${text}", which is not a multiaddr (${(err as Error).message}): use one like /ip4/203.0.113.7/tcp/4001/p2p/12D3KooW…`)
  }
  const parts = ma.getComponents()
  if (parts.at(-1)?.name !== 'p2p' || parts.length < 2) {
    throw fail(origin, `${origin.where} has "${text}", which does not end with /p2p/<peer id>: copy the whole "listening …" address the node printed`)
  }
  return ma.toString()
}

/**
 * Where the gateway listens: host:port, or a bare port (then 127.0.0.1,
 * loopback: serving beyond this machine takes an explicit address).
 */
export function parseGatewayListen (text: string, origin: Origin = { flag: true, where: '--gateway' }): { host: string, port: number } {
  const trimmed = text.trim()
  if (/^https?:\/\//i.test(trimmed)) {
    throw fail(origin, `${origin.where} "${text}" is a URL: the gateway listens on host:port, such as 127.0.0.1:8080 (a public URL for links is gatewayUrl / --gateway-url)`)
  }
  const port = /^:?(\d{1,5})$/.exec(trimmed)
  return parseHostPort(port === null ? trimmed : `127.0.0.1:${port[1]!}`, origin)
}

/** True for an address only this machine can reach. */
export function isLoopbackAddress (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/** A gateway's origin, such as https://gw.example or http://127.0.0.1:8080 (a path prefix is kept). */
export function checkGateway (text: string, origin: Origin = { flag: true, where: '--gateway' }): string {
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {}
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw fail(origin, `${origin.where} "${text}" is not a gateway address: give one like https://gw.example.org`)
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

function checkReplicas (value: number, origin: Origin): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > 20) throw fail(origin, `${origin.where} must be a whole number of copies from 0 to 20`)
  return value
}

function checkStorage (value: string | number, origin: Origin): number {
  let size: number
  try {
    size = typeof value === 'number' ? value : parseSize(value)
  } catch (err) {
    throw fail(origin, `${origin.where}: ${(err as Error).message}`)
  }
  if (!Number.isSafeInteger(size) || size < 1024 * 1024) throw fail(origin, `${origin.where} must be at least 1MiB`)
  return size
}

/** "5GiB" or "10%" (of `capacity`): what one pusher may use. */
function checkPerPeer (value: string | number, capacity: number, origin: Origin): number {
  const percent = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value) : null
  if (percent !== null) {
    const share = Number(percent[1])
    if (share <= 0 || share > 100) throw fail(origin, `${origin.where} must be a share from 0 to 100%, such as 10%`)
    return Math.floor(capacity * share / 100)
  }
  try {
    const size = typeof value === 'number' ? value : parseSize(value)
    if (!Number.isSafeInteger(size) || size <= 0) throw new Error('not a positive size')
    return size
  } catch (err) {
    throw fail(origin, `${origin.where} must be a size such as 5GiB or a share such as 10%: ${(err as Error).message}`)
  }
}

/** "any", "swarm", or peer ids (a list, or comma-separated on the command line). */
function checkAcceptFrom (value: string | string[], origin: Origin): 'any' | 'swarm' | string[] {
  if (value === 'any' || value === 'swarm') return value
  const ids = (Array.isArray(value) ? value : value.split(',')).map(id => id.trim()).filter(id => id.length > 0)
  const bad = ids.find(id => !/^(12D3KooW|Qm)[1-9A-HJ-NP-Za-km-z]{40,60}$/.test(id))
  if (ids.length === 0 || bad !== undefined) throw fail(origin, `${origin.where} must be "any", "swarm" or peer ids (12D3KooW…)${bad === undefined ? '' : `; ${JSON.stringify(bad.slice(0, 80))} is not one`}`)
  return ids
}

function fail (origin: Origin, message: string): Error {
  return origin.flag ? new UsageError(message) : new ConfigError(message)
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

function listEnv (value: string | undefined): string[] | undefined {
  return nonEmpty(value)?.split(',').map(s => s.trim()).filter(s => s.length > 0)
}

function boolEnv (value: string | undefined): boolean | undefined {
  const text = nonEmpty(value)?.toLowerCase()
  if (text === undefined) return undefined
  return text !== '0' && text !== 'false' && text !== 'no'
}

/** Absolute form of a path given on the command line. */
export function absolute (path: string): string {
  return isAbsolute(path) ? path : resolve(path)
}
