import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { pathToFileURL } from 'node:url'
import { describe, it, expect } from 'vitest'
import { createSwarmKey, formatSwarmKeyFile, readSwarmKeyFile, writeSwarmKeyFile } from '../../../src/swarm/index.js'
import { tempDir } from '../../helpers/files.js'
import { KEY, expectNoKeyIn, rejectionOf } from './helpers.js'

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

/** readSwarmKeyFile(path) in a child process running as uid/gid 65534 (nobody); its error. */
async function readAsNobody (path: string): Promise<{ name: string, message: string }> {
  const module = pathToFileURL(join(import.meta.dirname, '../../../dist/src/swarm/index.js')).href
  const script = `import(${JSON.stringify(module)}).then(m => m.readSwarmKeyFile(${JSON.stringify(path)})).then(() => console.log('{}'), e => console.log(JSON.stringify({ name: e.name, message: e.message })))`
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { uid: 65534, gid: 65534 })
  return JSON.parse(stdout) as { name: string, message: string }
}
const posix = process.platform !== 'win32'

async function modeOf (path: string): Promise<number> {
  return (await stat(path)).mode & 0o777
}

describe('writeSwarmKeyFile', () => {
  it('writes the canonical file with mode 0600, and it reads back', async () => {
    const path = join(await tempDir(), 'swarm.key')
    await writeSwarmKeyFile(path, KEY)
    expect(await readFile(path, 'utf8')).toBe(formatSwarmKeyFile(KEY))
    if (posix) expect(await modeOf(path)).toBe(0o600)
    const read = await readSwarmKeyFile(path)
    expect(read.key).toEqual(KEY)
    expect(read.id).toBe('04bf66a9824ad584')
  })

  it('refuses to overwrite an existing file without the flag, and leaves it untouched', async () => {
    const path = join(await tempDir(), 'swarm.key')
    await writeSwarmKeyFile(path, KEY)
    const err = await rejectionOf(writeSwarmKeyFile(path, createSwarmKey()))
    expect(err.name).toBe('SwarmKeyExistsError')
    expect(err.code).toBe('ERR_SWARM_KEY_EXISTS')
    expect(err.message).toContain(path)
    expect((await readSwarmKeyFile(path)).key).toEqual(KEY)
  })

  it('overwrites with { overwrite: true }, resets the mode to 0600 and leaves no temp file', async () => {
    const dir = await tempDir()
    const path = join(dir, 'swarm.key')
    await writeFile(path, 'old', { mode: 0o644 })
    const key = createSwarmKey()
    await writeSwarmKeyFile(path, key, { overwrite: true })
    expect((await readSwarmKeyFile(path)).key).toEqual(key)
    if (posix) expect(await modeOf(path)).toBe(0o600)
    expect(await readdir(dir)).toEqual(['swarm.key'])
  })

  it('refuses a folder in place of the file, with or without overwrite', async () => {
    const dir = await tempDir()
    const path = join(dir, 'swarm.key')
    await mkdir(path)
    expect((await rejectionOf(writeSwarmKeyFile(path, KEY))).name).toBe('SwarmKeyNotAFileError')
    expect((await rejectionOf(writeSwarmKeyFile(path, KEY, { overwrite: true }))).name).toBe('SwarmKeyNotAFileError')
    expect(await readdir(dir)).toEqual(['swarm.key'])
  })

  it('says when the folder does not exist', async () => {
    const path = join(await tempDir(), 'missing', 'swarm.key')
    const err = await rejectionOf(writeSwarmKeyFile(path, KEY))
    expect(err.name).toBe('SwarmKeyFileError')
    expect(err.message).toContain('does not exist')
  })

  it('rejects a key of the wrong length before touching the disk', async () => {
    const dir = await tempDir()
    const err = await rejectionOf(writeSwarmKeyFile(join(dir, 'swarm.key'), new Uint8Array(16)))
    expect(err.name).toBe('InvalidParametersError')
    expect(await readdir(dir)).toEqual([])
  })

  it('stops when already aborted', async () => {
    const dir = await tempDir()
    const err = await rejectionOf(writeSwarmKeyFile(join(dir, 'swarm.key'), KEY, { signal: AbortSignal.abort() }))
    expect(err.name).toBe('AbortError')
    expect(await readdir(dir)).toEqual([])
  })
})

describe('readSwarmKeyFile', () => {
  it('explains a missing file', async () => {
    const path = join(await tempDir(), 'swarm.key')
    const err = await rejectionOf(readSwarmKeyFile(path))
    expect(err.name).toBe('SwarmKeyNotFoundError')
    expect(err.code).toBe('ERR_SWARM_KEY_NOT_FOUND')
    expect(err.message).toBe(`no swarm key at ${path}: create one with \`veil swarm create\` or copy the swarm's key file there`)
  })

  it('treats a missing parent folder as a missing file', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'file'), 'x')
    const err = await rejectionOf(readSwarmKeyFile(join(dir, 'file', 'swarm.key')))
    expect(err.name).toBe('SwarmKeyNotFoundError')
  })

  it('explains a folder given as the key file', async () => {
    const dir = await tempDir()
    const err = await rejectionOf(readSwarmKeyFile(dir))
    expect(err.name).toBe('SwarmKeyNotAFileError')
    expect(err.message).toContain(dir)
  })

  it('explains a file it may not read', async () => {
    const path = join(await tempDir(), 'swarm.key')
    await writeSwarmKeyFile(path, KEY)
    await chmod(path, 0o000)
    // Root reads anything: then read it as the unprivileged "nobody" user, in a
    // child process running the built module (npm test builds first).
    const err = isRoot && posix ? await readAsNobody(path) : await rejectionOf(readSwarmKeyFile(path))
    expect(err.name).toBe('SwarmKeyAccessError')
    expect(err.message).toContain('permission denied')
    expect(err.message).toContain(path)
  })

  it('names the file and the line in a parse error, without the key', async () => {
    const path = join(await tempDir(), 'swarm.key')
    await writeFile(path, `${Buffer.from(KEY).toString('hex')}\n`)
    const err = await rejectionOf(readSwarmKeyFile(path))
    expect(err.name).toBe('SwarmKeyHeaderError')
    expect(err.message.startsWith(`${path}: line 1 `)).toBe(true)
    expectNoKeyIn(err.message)
  })

  it('reads a /bin/ key file as bytes', async () => {
    const path = join(await tempDir(), 'swarm.key')
    const key = Uint8Array.from({ length: 32 }, (_, i) => 255 - i * 3)
    await writeFile(path, Buffer.concat([Buffer.from('/key/swarm/psk/1.0.0/\n/bin/\n'), key]))
    expect(await readSwarmKeyFile(path)).toMatchObject({ key, encoding: 'bin' })
  })

  it('refuses a huge file before reading it', async () => {
    const path = join(await tempDir(), 'swarm.key')
    await writeFile(path, Buffer.alloc(1024 * 1024, 0x20))
    const err = await rejectionOf(readSwarmKeyFile(path))
    expect(err.name).toBe('SwarmKeyTooLargeError')
    expect(err.message).toContain(path)
  })
})
