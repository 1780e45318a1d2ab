import { describe, it, expect } from 'vitest'
import { createRequire } from 'node:module'
import { randomBytes } from 'node:crypto'
import { fixXsalsa20 } from '../../../src/platform/xsalsa20-fix.js'

const require = createRequire(import.meta.url)
const XSalsa20 = require('xsalsa20') as new (nonce: Uint8Array, key: Uint8Array) => { update: (input: Uint8Array, output?: Uint8Array) => Uint8Array, finalize: () => void }

describe('xsalsa20 under pnet', () => {
  it('stays correct and bounded when several instances take large updates in turn', () => {
    fixXsalsa20()
    const key = new Uint8Array(randomBytes(32))
    const nonces = Array.from({ length: 4 }, () => new Uint8Array(randomBytes(24)))
    const senders = nonces.map(nonce => new XSalsa20(nonce, key))
    const receivers = nonces.map(nonce => new XSalsa20(nonce, key))
    // Unpatched, every turn detaches the other instances' views and memory
    // grows by the whole input each time, until WebAssembly refuses to grow.
    for (let round = 0; round < 300; round++) {
      const i = round % 4
      const input = new Uint8Array(randomBytes(1024 * 1024 + (round % 7)))
      const sealed = senders[i]!.update(input)
      const opened = receivers[i]!.update(sealed)
      expect(Buffer.from(opened).equals(Buffer.from(input))).toBe(true)
    }
    for (const x of [...senders, ...receivers]) x.finalize()
  })
})
