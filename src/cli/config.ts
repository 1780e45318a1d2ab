/**
 * Where every setting comes from, in order: command-line flags, then the
 * environment (VEIL_HOME, VEIL_BOOTSTRAP, VEIL_SWARM_KEY, VEIL_FORCE_SWARM,
 * VEIL_API), then the repo's config.json, then config/default.json shipped
 * in the package. A bad flag value is a usage error (exit 2); a bad value in
 * the environment or a file is a ConfigError naming where it came from.
 */
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import {
  checkAcceptFrom, checkAnnounce, checkBootstrap, checkDuration, checkGateway, checkListen, checkPerPeer, checkRelay, checkReplicas,
  checkStorage, parseGatewayListen, parseHostPort, parseMaintenance, type Maintenance, type Origin, type RelaySettings
} from './config-checks.js'
import { CONFIG_FILE, SWARM_KEY_FILE, defaultsPath, readConfigFile, type ConfigFile } from './config-file.js'
import { boolEnv, listEnv, nonEmpty, type Env } from './env.js'

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
  relay: RelaySettings
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

/** flag > VEIL_SWARM_KEY > config.json "swarmKey" > <repo>/swarm.key if present > defaults. */
function swarmKeyPath (repo: string, flag: string | undefined, env: Env, file: ConfigFile, defaults: ConfigFile): string | undefined {
  const chosen = nonEmpty(flag) ?? nonEmpty(env.VEIL_SWARM_KEY)
  if (chosen !== undefined) return resolve(chosen)
  if (typeof file.swarmKey === 'string') return resolve(repo, file.swarmKey)
  const inRepo = join(repo, SWARM_KEY_FILE)
  if (existsSync(inRepo)) return inRepo
  return typeof defaults.swarmKey === 'string' ? resolve(repo, defaults.swarmKey) : undefined
}

/** Absolute form of a path given on the command line. */
export function absolute (path: string): string {
  return isAbsolute(path) ? path : resolve(path)
}
