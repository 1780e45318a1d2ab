import { describe, it, expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import { base64urlDecode, base64urlEncode } from '../../../src/link/base64url.js'

describe('base64url (portable)', () => {
  it('encodes and decodes as Buffer does, for every length 0–70', () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = new Uint8Array(randomBytes(length))
      const text = Buffer.from(bytes).toString('base64url')
      expect(base64urlEncode(bytes)).toBe(text)
      expect(base64urlDecode(text)).toEqual(bytes)
    }
  })

  it('drops left-over bits as Buffer does (callers check canonical spelling)', () => {
    for (const text of ['A', 'AB', 'ABC', 'AB_', 'a-Z9', '_', 'abcdefghijk']) {
      expect(base64urlDecode(text)).toEqual(new Uint8Array(Buffer.from(text, 'base64url')))
    }
  })

  it('refuses characters outside the alphabet', () => {
    expect(() => base64urlDecode('ab+c')).toThrow(RangeError)
    expect(() => base64urlDecode('ab=')).toThrow(RangeError)
  })
})
