import { describe, it, expect } from 'vitest'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { checkOutputPath, safeOutputName } from '../../../src/daemon/index.js'
import { tempDir } from '../../helpers/files.js'

describe('daemon operations: output paths', () => {
  it('takes a share\'s name as a file name only when it is one safe path component', () => {
    expect(safeOutputName('holiday.mkv')).toBe('holiday.mkv')
    for (const name of ['', '.', '..', '../etc/passwd', 'a/b', 'bell\u0007.txt', 'line\nbreak']) {
      expect(() => safeOutputName(name), JSON.stringify(name)).toThrow(expect.objectContaining({ name: 'OutputError' }))
    }
  })

  it('fails early when the output\'s folder is missing, is a file, or cannot be written', async () => {
    const dir = await tempDir()
    await expect(checkOutputPath(join(dir, 'out.bin'))).resolves.toBeUndefined()
    await expect(checkOutputPath(join(dir, 'missing', 'out.bin'))).rejects.toThrow(/does not exist/)
    await writeFile(join(dir, 'file'), 'x')
    await expect(checkOutputPath(join(dir, 'file', 'out.bin'))).rejects.toThrow(/does not exist|is not a folder/)
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked')
      await mkdir(locked)
      await chmod(locked, 0o500)
      await expect(checkOutputPath(join(locked, 'out.bin'))).rejects.toThrow(/permission denied/)
    }
  })
})
