import { describe, it, expect } from 'vitest'
import { PassThrough } from 'node:stream'
import { join } from 'node:path'
import { writeFile } from 'node:fs/promises'
import { readPassword } from '../../src/cli/password.js'
import { tempDir } from '../helpers/files.js'

/**
 * A fake terminal: each answer is typed (in the chunks given) once a prompt
 * is shown; raw mode switches are recorded, and what was shown is kept.
 */
function terminal (answers: string[][]): { stdin: NodeJS.ReadStream, stderr: PassThrough, raw: boolean[], shown: () => string } {
  const stream = new PassThrough({ encoding: 'utf8' }) as unknown as NodeJS.ReadStream & PassThrough
  const raw: boolean[] = []
  Object.assign(stream, { isTTY: true, setRawMode: (on: boolean) => { raw.push(on); return stream } })
  const stderr = new PassThrough()
  let shown = ''
  stderr.on('data', (chunk: Buffer) => {
    shown += chunk.toString()
    if (chunk.toString().endsWith(': ')) setImmediate(() => { for (const typed of answers.shift() ?? []) stream.write(typed) })
  })
  return { stdin: stream, stderr, raw, shown: () => shown }
}

describe('reading a password', () => {
  it('on a terminal: without echo (raw mode, nothing written back), Backspace and Ctrl-U edit, Enter ends; twice to confirm', async () => {
    const tty = terminal([['pa', 'x\u007fss word\r'], ['pass word\r']])
    const password = await readPassword({}, { confirm: true, stdin: tty.stdin, stderr: tty.stderr, prompt: 'Password' })
    expect(password).toBe('pass word')
    expect(tty.raw).toEqual([true, false, true, false])
    expect(tty.shown()).toBe('Password: \nAgain, to confirm: \n')
    const mismatch = terminal([['one\r'], ['two\r']])
    await expect(readPassword({}, { confirm: true, stdin: mismatch.stdin, stderr: mismatch.stderr })).rejects.toMatchObject({ name: 'UsageError' })
    const cleared = terminal([['wrong\u0015right\r']])
    expect(await readPassword({}, { stdin: cleared.stdin, stderr: cleared.stderr })).toBe('right')
    const stopped = terminal([['ab\u0003']])
    await expect(readPassword({}, { stdin: stopped.stdin, stderr: stopped.stderr })).rejects.toMatchObject({ name: 'InterruptedError' })
  })

  it('from --password-file (its first line, spaces kept) or stdin; never stdin when the link came from it', async () => {
    const file = join(await tempDir(), 'pw')
    await writeFile(file, '  spaced out  \nsecond line\n')
    expect(await readPassword({ file })).toBe('  spaced out  ')
    const stdin = new PassThrough() as unknown as NodeJS.ReadStream
    ;(stdin as unknown as PassThrough).end('from stdin\n')
    expect(await readPassword({}, { stdin })).toBe('from stdin')
    await expect(readPassword({ stdinTaken: true }, { stdin: new PassThrough() as unknown as NodeJS.ReadStream })).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(/--password-file/) })
    await writeFile(file, '\n')
    await expect(readPassword({ file })).rejects.toMatchObject({ name: 'UsageError' })
  })
})
