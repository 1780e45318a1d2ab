import { mkdir, open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { VeilError } from '../errors.js'

export const IDENTITY_FILE = 'identity.key'

export class IdentityError extends VeilError {
  override name = 'IdentityError'
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_IDENTITY', options) }
}

/**
 * The node's Ed25519 identity, kept in `<repo>/identity.key` (libp2p's
 * protobuf key encoding, mode 0600) so the peer id survives restarts. Created
 * on first use; a damaged file is an error, never silently replaced — a new
 * key would be a different peer to everyone that knew this one.
 */
export async function loadOrCreateIdentity (repo: string): Promise<PrivateKey> {
  const path = join(repo, IDENTITY_FILE)
  let bytes: Uint8Array | undefined
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new IdentityError(`cannot read the node identity at ${path}: ${(err as Error).message}`, { cause: err })
    }
  }
  if (bytes !== undefined) {
    try {
      const key = privateKeyFromProtobuf(bytes)
      if (key.type !== 'Ed25519') throw new Error(`a ${key.type} key`)
      return key
    } catch (err) {
      throw new IdentityError(`the node identity at ${path} is damaged (${(err as Error).message}): restore it from a backup, or delete it to become a new peer`, { cause: err })
    }
  }
  const key = await generateKeyPair('Ed25519')
  await mkdir(repo, { recursive: true })
  // 'wx': never overwrite an identity another process just created.
  const handle = await open(path, 'wx', 0o600).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') return undefined
    throw new IdentityError(`cannot write the node identity to ${path}: ${err.message}`, { cause: err })
  })
  if (handle === undefined) return await loadOrCreateIdentity(repo)
  try {
    await handle.writeFile(privateKeyToProtobuf(key))
    await handle.sync()
  } finally {
    await handle.close()
  }
  return key
}
