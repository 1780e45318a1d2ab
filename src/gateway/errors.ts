import { VeilError } from '../errors.js'

/** The page's files (dist/web) are missing. */
export class GatewayAssetsError extends VeilError {
  override name = 'GatewayAssetsError'
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_GATEWAY_ASSETS', options) }
}

/** The gateway's address is in use or cannot be bound. */
export class GatewayListenError extends VeilError {
  override name = 'GatewayListenError'
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_GATEWAY_LISTEN', options) }
}
