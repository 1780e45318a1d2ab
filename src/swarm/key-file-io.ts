import { randomBytes } from 'node:crypto'
import { open, rename, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { AbortOptions } from '@libp2p/interface'
import { VeilError } from '../errors.js'
import {
  InvalidSwarmKeyError, SwarmKeyAccessError, SwarmKeyExistsError, SwarmKeyFileError, SwarmKeyNotAFileError,
  SwarmKeyNotFoundError, SwarmKeyTooLargeError
} from './errors.js'
import { MAX_SWARM_KEY_FILE_SIZE, parseSwarmKeyFile, swarmKeyFileBytes, type SwarmKey } from './key-file.js'

/** Owner read/write only: the file is the swarm's only secret. */
export const SWARM_KEY_FILE_MODE = 0o600

export interface WriteSwarmKeyFileOptions extends AbortOptions {
  /**
   * Replace an existing key file. Off by default: a node that loses its key
   * is cut off from its swarm, and the old key cannot be recovered.
   *
   * @default false
   */
  overwrite?: boolean
}

/** Read and parse a swarm.key file; every failure is a specific error naming `path`. */
export async function readSwarmKeyFile (path: string, options: AbortOptions = {}): Promise<SwarmKey> {
  options.signal?.throwIfAborted()
  // stat before open: opening a FIFO or device for reading could block forever.
  const info = await stat(path).catch((err: unknown) => { throw fileError(path, 'read', err) })
  if (!info.isFile()) throw new SwarmKeyNotAFileError(path)
  if (info.size > MAX_SWARM_KEY_FILE_SIZE) throw withPath(path, new SwarmKeyTooLargeError(info.size, MAX_SWARM_KEY_FILE_SIZE))

  let bytes: Uint8Array
  try {
    const handle = await open(path, 'r')
    try {
      bytes = await handle.readFile({ signal: options.signal })
    } finally {
      await handle.close()
    }
  } catch (err) {
    throw fileError(path, 'read', err)
  }

  try {
    // Bytes, not text: a /bin/ key would not survive decoding to a string.
    return parseSwarmKeyFile(bytes)
  } catch (err) {
    throw err instanceof InvalidSwarmKeyError ? withPath(path, err) : err
  }
}

/**
 * Write `key` as a canonical swarm.key file with mode 0600. Refuses to
 * replace an existing file unless `options.overwrite` is true; a replacement
 * is written beside the target and renamed over it, so a crash never leaves
 * half a key behind.
 */
export async function writeSwarmKeyFile (path: string, key: Uint8Array, options: WriteSwarmKeyFileOptions = {}): Promise<void> {
  const bytes = swarmKeyFileBytes(key)
  options.signal?.throwIfAborted()
  if (options.overwrite !== true) {
    await writeNewFile(path, path, bytes)
    return
  }
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  await writeNewFile(temp, path, bytes)
  try {
    options.signal?.throwIfAborted()
    await rename(temp, path)
  } catch (err) {
    await rm(temp, { force: true })
    throw fileError(path, 'write', err)
  }
}

/** Create `target` exclusively with mode 0600; errors name `shownPath`. */
async function writeNewFile (target: string, shownPath: string, bytes: Uint8Array): Promise<void> {
  let handle
  try {
    handle = await open(target, 'wx', SWARM_KEY_FILE_MODE)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && await isFolder(target)) throw new SwarmKeyNotAFileError(shownPath)
    throw fileError(shownPath, 'write', err)
  }
  try {
    // The mode given to open() is masked by the umask; set it exactly.
    await handle.chmod(SWARM_KEY_FILE_MODE)
    await handle.writeFile(bytes)
    await handle.sync()
    await handle.close()
  } catch (err) {
    await handle.close().catch(() => {})
    await rm(target, { force: true })
    throw fileError(shownPath, 'write', err)
  }
}

async function isFolder (path: string): Promise<boolean> {
  return await stat(path).then(info => info.isDirectory(), () => false)
}

/** Prefix a parse error with the file it came from (the message never holds key material). */
function withPath<E extends Error> (path: string, err: E): E {
  err.message = `${path}: ${err.message}`
  return err
}

function fileError (path: string, action: 'read' | 'write', err: unknown): Error {
  if (!(err instanceof Error)) return new SwarmKeyFileError(path, action, String(err))
  // The caller's abort and our own errors pass through unchanged.
  if (err.name === 'AbortError' || err instanceof VeilError) return err
  const code = (err as NodeJS.ErrnoException).code
  switch (code) {
    case 'ENOENT':
      return action === 'read'
        ? new SwarmKeyNotFoundError(path)
        : new SwarmKeyFileError(path, action, `the folder ${dirname(path)} does not exist: create it first`, { cause: err })
    case 'ENOTDIR':
      return action === 'read'
        ? new SwarmKeyNotFoundError(path)
        : new SwarmKeyFileError(path, action, 'part of the folder path is a file, not a folder', { cause: err })
    case 'EACCES':
    case 'EPERM':
      return new SwarmKeyAccessError(path, action, { cause: err })
    case 'EISDIR':
      return new SwarmKeyNotAFileError(path)
    case 'EEXIST':
      return new SwarmKeyExistsError(path)
    default:
      return new SwarmKeyFileError(path, action, err.message, { cause: err })
  }
}
