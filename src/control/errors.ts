import { VeilError } from '../errors.js'

/** The control API answered with an error: the daemon's own error, rebuilt with its name, code and message. */
export class DaemonError extends VeilError {
  constructor (name: string, code: string, message: string) {
    super(message, code)
    this.name = name
  }
}

/** The control API could not be reached, or broke off. */
export class DaemonUnreachableError extends VeilError {
  override name = 'DaemonUnreachableError'
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_DAEMON_UNREACHABLE', options) }
}

/** The control API refused our token. */
export class DaemonAuthError extends VeilError {
  override name = 'DaemonAuthError'
  constructor () {
    super('the running node refused the control API token: its api.json may belong to another node; restart the node with `veil node start`', 'ERR_DAEMON_AUTH')
  }
}
