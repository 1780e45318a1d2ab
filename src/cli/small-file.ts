import { open } from 'node:fs/promises'
import { InputError } from '../errors.js'

/**
 * The text of a small file the user named (`--link-file`, `--password-file`),
 * reading no more than `maxBytes` + 1 bytes: a file over that is refused,
 * never read whole. `what` names it in errors ("link file"), `holds` says
 * what it should contain ("one link on one line").
 */
export async function readSmallFile (path: string, maxBytes: number, what: string, holds: string): Promise<string> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new InputError(code === 'ENOENT' ? `no such ${what}: ${path}` : `cannot read the ${what} ${path}: ${(err as Error).message}`, { cause: err })
  }
  try {
    const buffer = Buffer.alloc(maxBytes + 1)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    if (bytesRead > maxBytes) throw new InputError(`the ${what} ${path} is over ${maxBytes} bytes: it should hold ${holds}`)
    return buffer.subarray(0, bytesRead).toString('utf8')
  } catch (err) {
    if (err instanceof InputError) throw err
    throw new InputError(`cannot read the ${what} ${path}: ${(err as Error).message}`, { cause: err })
  } finally {
    await handle.close()
  }
}
