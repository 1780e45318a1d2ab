import { expect } from 'vitest'

/** A fixed swarm key (the same pattern as the link vectors). */
export const KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1)
export const KEY_HEX = Buffer.from(KEY).toString('hex')

/** Peer ids of Ed25519 keys seeded with 32 bytes of 1, 2 and 3. */
export const PEER_1 = '12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5'
export const PEER_2 = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'
export const PEER_3 = '12D3KooWRndVhVZPCiQwHBBBdg769GyrPUW13zxwqQyf9r3ANaba'

export type CaughtError = Error & { code?: string }

/** The error `fn` throws; fails the test if it returns. */
export function errorOf (fn: () => unknown): CaughtError {
  try {
    fn()
  } catch (err) {
    return err as CaughtError
  }
  throw new Error('expected an error, but the call returned')
}

export async function rejectionOf (promise: Promise<unknown>): Promise<CaughtError> {
  try {
    await promise
  } catch (err) {
    return err as CaughtError
  }
  throw new Error('expected a rejection, but the promise resolved')
}

/** No spelling of the key, nor any 8-byte run of it, may appear in a message. */
export function expectNoKeyIn (message: string, key: Uint8Array = KEY): void {
  const hex = Buffer.from(key).toString('hex')
  const lower = message.toLowerCase()
  for (let i = 0; i + 16 <= hex.length; i += 2) expect(lower).not.toContain(hex.slice(i, i + 16))
  expect(message).not.toContain(Buffer.from(key).toString('base64').slice(0, 12))
  expect(message).not.toContain(Buffer.from(key).toString('base64url').slice(0, 12))
}
