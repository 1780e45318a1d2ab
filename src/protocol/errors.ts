import { VeilError } from '../errors.js'

/** A peer broke the block exchange protocol (malformed or unexpected frame). */
export class ProtocolViolationError extends VeilError {
  override name = 'ProtocolViolationError'
  constructor (message: string) { super(`a peer broke the block protocol: ${message}`, 'ERR_PROTOCOL_VIOLATION') }
}

/** A peer answered a request with an ERROR frame. */
export class RemoteError extends VeilError {
  override name = 'RemoteError'
  constructor (readonly wireCode: number, message: string) { super(message, 'ERR_REMOTE') }
}

/** A peer refused a pushed block (quota, not a storage node, …). */
export class PushRefusedError extends VeilError {
  override name = 'PushRefusedError'
  constructor (readonly wireCode: number, message: string) { super(message, 'ERR_PUSH_REFUSED') }
}
