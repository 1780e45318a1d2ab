/**
 * Checking each setting's value, wherever it came from: a bad flag value is a
 * usage error (exit 2); a bad value in the environment or a file is a
 * ConfigError naming where it came from.
 */
import type { multiaddr as Multiaddr } from '@multiformats/multiaddr'
import type { ConfigFile, MaintenanceKey } from './config-file.js'
import { ConfigError, UsageError } from './errors.js'
import { parseDuration, parseSize } from './units.js'

/** Where a value came from, for error messages. */
export interface Origin { flag: boolean, where: string }

const MAINTENANCE_KEYS: MaintenanceKey[] = ['repairEvery', 'scrubEvery', 'collectEvery', 'lease', 'orphanGrace', 'renewEvery', 'republishEvery']

/** A storage node's timing, in milliseconds (only what was set). */
export type Maintenance = Partial<Record<MaintenanceKey, number>>

/** Circuit relay as resolved from the config's "relay" (limits in bytes and milliseconds). */
export interface RelaySettings { server: 'storage' | boolean, dataLimit: number | undefined, durationLimitMs: number | undefined, unlimited: boolean, maxReservations: number | undefined }

/** A duration of at least `minMs`, from a flag or a file. */
export function checkDuration (text: string, origin: Origin, minMs: number): number {
  let ms: number
  try {
    ms = parseDuration(text)
  } catch (err) {
    throw fail(origin, `${origin.where}: ${(err as Error).message}`)
  }
  if (ms < minMs) throw fail(origin, `${origin.where} must be at least ${minMs / 1000} s`)
  return ms
}

export function checkRelay (value: NonNullable<ConfigFile['relay']>, origin: Origin): RelaySettings {
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
export function checkAnnounce (multiaddr: typeof Multiaddr, text: string, origin: Origin): string {
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

export function parseMaintenance (value: Partial<Record<MaintenanceKey, string>>, origin: Origin): Maintenance {
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

export function parseHostPort (text: string, origin: Origin = { flag: true, where: '--api' }): { host: string, port: number } {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim())
  const port = Number(match?.[3])
  if (match === null || port > 65535) throw fail(origin, `${origin.where} "${text}" must be host:port, such as 127.0.0.1:5001 (port 0 picks a free one)`)
  return { host: match[1] ?? match[2]!, port }
}

export function checkListen (multiaddr: typeof Multiaddr, text: string, origin: Origin): string {
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

export function checkBootstrap (multiaddr: typeof Multiaddr, text: string, origin: Origin): string {
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

export function checkReplicas (value: number, origin: Origin): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > 20) throw fail(origin, `${origin.where} must be a whole number of copies from 0 to 20`)
  return value
}

export function checkStorage (value: string | number, origin: Origin): number {
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
export function checkPerPeer (value: string | number, capacity: number, origin: Origin): number {
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
export function checkAcceptFrom (value: string | string[], origin: Origin): 'any' | 'swarm' | string[] {
  if (value === 'any' || value === 'swarm') return value
  const ids = (Array.isArray(value) ? value : value.split(',')).map(id => id.trim()).filter(id => id.length > 0)
  const bad = ids.find(id => !/^(12D3KooW|Qm)[1-9A-HJ-NP-Za-km-z]{40,60}$/.test(id))
  if (ids.length === 0 || bad !== undefined) throw fail(origin, `${origin.where} must be "any", "swarm" or peer ids (12D3KooW…)${bad === undefined ? '' : `; ${JSON.stringify(bad.slice(0, 80))} is not one`}`)
  return ids
}

function fail (origin: Origin, message: string): Error {
  return origin.flag ? new UsageError(message) : new ConfigError(message)
}
