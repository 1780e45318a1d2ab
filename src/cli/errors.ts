import { VeilError } from '../errors.js'

/*
 * Errors only the command line has. UsageError exits with code 2; every
 * other error exits with 1. Messages say what is wrong and what to do.
 */

/** A bad command line: unknown command or flag, missing argument, bad flag value. */
export class UsageError extends VeilError {
  override name = 'UsageError'
  constructor (message: string) { super(message, 'ERR_USAGE') }
}

/** A bad value in the environment or a config file (names where it came from). */
export class ConfigError extends VeilError {
  override name = 'ConfigError'
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_CONFIG', options) }
}

/** A renewal found no storage node holding some share. */
export class NotRenewedError extends VeilError {
  override name = 'NotRenewedError'
  constructor (count: number) {
    super(`${count === 1 ? 'a share was' : `${count} shares were`} renewed on no storage node (none holds it, or none answered): check that storage nodes are running, or share it again`, 'ERR_NOT_RENEWED')
  }
}

export class NodeNotRunningError extends VeilError {
  override name = 'NodeNotRunningError'
  constructor (what: string, repo: string) {
    super(`${what} needs a running node, and none is running for ${repo}: start one with \`veil node start\` (add --storage <size> to make it a storage node)`, 'ERR_NODE_NOT_RUNNING')
  }
}

export class NodeRunningError extends VeilError {
  override name = 'NodeRunningError'
  constructor (repo: string, pid: number) {
    super(`a node is already running for ${repo} (pid ${pid}): stop it first, or use another repo with --repo <dir>`, 'ERR_NODE_RUNNING')
  }
}

/** Another process holds the repo's block store open. */
export class RepoBusyError extends VeilError {
  override name = 'RepoBusyError'
  constructor (repo: string, options?: ErrorOptions) {
    super(`the repo ${repo} is in use by another veil process: wait for it to finish, or use another repo with --repo <dir>`, 'ERR_REPO_BUSY', options)
  }
}

export class NoBootstrapError extends VeilError {
  override name = 'NoBootstrapError'
  constructor () {
    super('no peers to join: pass --bootstrap <multiaddr>, set VEIL_BOOTSTRAP, join a swarm with `veil swarm join <invite>`, or run `veil node start` to use your own node', 'ERR_NO_BOOTSTRAP')
  }
}

export class NoStorageNodeError extends VeilError {
  override name = 'NoStorageNodeError'
  constructor () {
    super('no storage node took the share: start one with `veil node start --storage 10GiB`, or run `veil node start` to keep and serve it yourself', 'ERR_NO_STORAGE_NODE')
  }
}

export class PortInUseError extends VeilError {
  override name = 'PortInUseError'
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_PORT_IN_USE', options) }
}

/** The command was stopped by Ctrl-C or SIGTERM. */
export class InterruptedError extends VeilError {
  override name = 'InterruptedError'
  constructor (hint = '') { super(`interrupted${hint}`, 'ERR_INTERRUPTED') }
}

/** A bootstrap peer completed TCP but broke off the handshake: it uses another swarm key, or none. */
export class SwarmMismatchError extends VeilError {
  override name = 'SwarmMismatchError'
  constructor (address: string, swarm: { id: string, path: string } | undefined, options?: ErrorOptions) {
    super(`the peer at ${address} refused the connection: it is in another private swarm (or none)` + (swarm === undefined
      ? '; this node is in no private swarm: if the peer\'s swarm is yours to join, run `veil swarm join <invite>` with its invite'
      : `; this node is in swarm ${swarm.id} (key ${swarm.path}): ask a member for a current invite and run \`veil swarm join --force <invite>\`, or check --swarm-key`), 'ERR_SWARM_MISMATCH', options)
  }
}

/** Failures before any connection existed: nothing listens there, no route, no answer in time. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL', 'ENOTFOUND'])
/** What a peer with another swarm key (or none) does to a handshake: resets it, or answers with bytes that decode as garbage. */
const HANDSHAKE_NAMES = new Set(['EncryptionFailedError', 'UnexpectedEOFError', 'InvalidMessageError', 'InvalidCryptoExchangeError', 'UnsupportedProtocolError'])
const HANDSHAKE_MESSAGES = /ECONNRESET|EPIPE|Missing newline|Message length|length too long|unexpected end|protocol selection failed/i

/**
 * Turn "could not reach any bootstrap peer (…read ECONNRESET…)" into a
 * SwarmMismatchError when a bootstrap peer accepted the TCP connection and
 * then broke off the handshake, which is what pnet does to a node with
 * another key (or none). Other errors are returned as they are.
 */
export function explainJoinFailure (err: unknown, swarm: { id: string, path: string } | undefined): unknown {
  const failures = (err as { cause?: { errors?: unknown } } | undefined)?.cause?.errors
  if (!Array.isArray(failures)) return err
  for (const failure of failures as Array<{ address?: unknown, error?: unknown }>) {
    if (typeof failure?.address === 'string' && brokeOffHandshake(failure.error)) return new SwarmMismatchError(failure.address, swarm, { cause: err })
  }
  return err
}

function brokeOffHandshake (error: unknown): boolean {
  let handshake = false
  for (let e = error as { name?: unknown, code?: unknown, message?: unknown, cause?: unknown } | undefined, depth = 0; e != null && depth < 6; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return false
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return false
    if ((typeof e.name === 'string' && HANDSHAKE_NAMES.has(e.name)) || e.code === 'ECONNRESET' || HANDSHAKE_MESSAGES.test(String(e.message ?? ''))) handshake = true
  }
  return handshake
}
