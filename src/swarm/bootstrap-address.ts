import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { InviteAddressError, InviteMalformedError } from './errors.js'

/*
 * Bootstrap addresses in an invite must be dialable on their own: a network
 * address followed by the /p2p/<peer id> of the member to dial. The peer id is
 * what makes the first connection safe to trust: libp2p checks it during the
 * handshake, so a wrong or spoofed host cannot pose as the swarm member.
 */

/** Longest address shown back in an error message. */
const MAX_SHOWN = 120

/** Parse and check one address given as text (formatInvite's input). */
export function parseBootstrapAddress (text: string, index: number): Multiaddr {
  if (typeof text !== 'string') throw new InviteAddressError(index, '(not text)', 'is not a string')
  let ma: Multiaddr
  try {
    ma = multiaddr(text)
  } catch (err) {
    throw new InviteAddressError(index, shown(text), `is not a valid multiaddr (${reasonOf(err)})`)
  }
  checkBootstrapAddress(ma, index)
  return ma
}

/** Decode and check one address from an invite's binary payload. */
export function decodeBootstrapAddress (bytes: Uint8Array, index: number): Multiaddr {
  let ma: Multiaddr
  try {
    ma = multiaddr(bytes)
  } catch (err) {
    throw new InviteAddressError(index, '(unreadable)', `could not be decoded (${reasonOf(err)})`)
  }
  // One address, one encoding: anything else was not written by formatInvite.
  if (!Buffer.from(ma.bytes).equals(bytes)) throw new InviteMalformedError(`bootstrap address ${index + 1} is not canonically encoded`)
  checkBootstrapAddress(ma, index)
  return ma
}

function checkBootstrapAddress (ma: Multiaddr, index: number): void {
  const parts = ma.getComponents()
  const last = parts.at(-1)
  const text = shown(ma.toString())
  if (last?.name !== 'p2p' || last.value === undefined) {
    throw new InviteAddressError(index, text, 'does not end with /p2p/<peer id>, so the member to dial is unknown')
  }
  if (parts.length < 2) {
    throw new InviteAddressError(index, text, 'has a peer id but no network address before it')
  }
  try {
    peerIdFromString(last.value)
  } catch {
    throw new InviteAddressError(index, text, 'ends with /p2p/ but what follows is not a valid peer id')
  }
}

/** Addresses are public, but may come from a hostile invite: keep them short and free of control characters. */
function shown (text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?')
  return clean.length > MAX_SHOWN ? `${clean.slice(0, MAX_SHOWN)}…` : clean
}

function reasonOf (err: unknown): string {
  return shown(err instanceof Error ? err.message : String(err))
}
