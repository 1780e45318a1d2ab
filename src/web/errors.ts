import { VeilError } from '../errors.js'

/** The gateway could not hand over a block (not found in the swarm, bad request, or failure). */
export class BlockUnavailableError extends VeilError {
  override name = 'BlockUnavailableError'
  constructor (readonly status: number, detail: string) {
    super(`the gateway could not supply a block of this share (HTTP ${status}${detail === '' ? '' : `: ${detail}`})`, 'ERR_BLOCK_UNAVAILABLE')
  }
}

/** The gateway stayed busy (its per-client budget) through every retry. */
export class GatewayBusyError extends VeilError {
  override name = 'GatewayBusyError'
  constructor (detail: string) {
    super(`the gateway is busy${detail === '' ? '' : ` (${detail})`}: try again in a minute`, 'ERR_GATEWAY_BUSY')
  }
}

/** The browser has no way to save a large file as a stream. */
export class SaveUnsupportedError extends VeilError {
  override name = 'SaveUnsupportedError'
  constructor (message: string) { super(message, 'ERR_SAVE_UNSUPPORTED') }
}
