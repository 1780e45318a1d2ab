/*
 * base64url without padding (RFC 4648 §5), as pure code: Buffer's
 * 'base64url' is Node-only and link parsing also runs in the gateway page.
 * Decoding follows Buffer's: it reads whole 6-bit groups and drops the bits
 * left over, so callers check canonical spelling by encoding back.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const VALUES = new Map([...ALPHABET].map((char, i) => [char, i]))

export function base64urlEncode (bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 6) {
      bits -= 6
      out += ALPHABET[(value >> bits) & 63]
    }
    value &= (1 << bits) - 1
  }
  if (bits > 0) out += ALPHABET[(value << (6 - bits)) & 63]
  return out
}

/** Decode; throws RangeError on a character outside the alphabet. */
export function base64urlDecode (text: string): Uint8Array {
  const out = new Uint8Array(Math.floor(text.length * 6 / 8))
  let bits = 0
  let value = 0
  let at = 0
  for (const char of text) {
    const digit = VALUES.get(char)
    if (digit === undefined) throw new RangeError('not base64url')
    value = ((value << 6) | digit) & 0xffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[at++] = (value >> bits) & 0xff
    }
  }
  return out.subarray(0, at)
}
