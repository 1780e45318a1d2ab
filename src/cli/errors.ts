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
