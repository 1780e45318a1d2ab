import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { mkdir, writeFile, readdir } from 'node:fs/promises'
import { checkEntryName } from '../../../src/format/index.js'
import { visibleName } from '../../../src/format/names.js'
import { importFile, importFolder, importBytes, exportShare, MemoryBlockStore } from '../../../src/index.js'
import { rawFolder } from '../../helpers/folders.js'
import { tempDir } from '../../helpers/files.js'

const HOSTILE = [
  ['ESC', 'report\u001b[31m.txt'],
  ['BEL', 'ding\u0007.txt'],
  ['U+202E', 'invoice\u202Efdp.exe'],
  ['CR', 'two\rlines'],
  ['C1 CSI', 'x\u009b2J'],
  ['U+2066', 'isolate\u2066.txt'],
  ['U+2028', 'line\u2028sep']
] as const

describe('names with control or text-direction characters', () => {
  it('are refused, and the message shows them spelled out, never raw', () => {
    for (const [label, name] of HOSTILE) {
      let message = ''
      try { checkEntryName(name) } catch (err) { message = (err as Error).message; expect(err).toMatchObject({ name: 'UnsafeNameError' }) }
      expect(message, label).toMatch(/control or text-direction character \(U\+[0-9A-F]{4}\)/)
      expect(message, label).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/)
    }
    expect(visibleName('a\u202Eb\u001b')).toBe('"a<U+202E>b<U+001B>"')
  })

  it('other Unicode names stay allowed', () => {
    for (const name of ['résumé.pdf', 'фото 1.jpg', 'مرحبا.txt', 'שלום', '家族 写真', '👩‍👩‍👧.png', 'a b\tc'.replace('\t', ' '), '.hidden']) {
      expect(() => { checkEntryName(name) }, name).not.toThrow()
    }
  })

  it('are refused at import, naming the file to rename, in a folder or alone', async () => {
    const dir = await tempDir()
    const folder = join(dir, 'photos')
    await mkdir(folder)
    await writeFile(join(folder, 'fine.jpg'), 'ok')
    await writeFile(join(folder, 'evil\u001b]0;pwned\u0007.jpg'), 'x')
    const store = new MemoryBlockStore()
    await expect(importFolder(folder, store)).rejects.toMatchObject({
      name: 'UnsafeNameError',
      message: expect.stringMatching(/cannot share ".*photos\/evil<U\+001B>\]0;pwned<U\+0007>\.jpg".*rename it/)
    })
    const lone = join(dir, 'flip\u202Egnp.exe')
    await writeFile(lone, 'x')
    await expect(importFile(lone, store)).rejects.toMatchObject({ name: 'UnsafeNameError', message: expect.stringContaining('<U+202E>') })
    await expect(importBytes(new Uint8Array(1), store, { name: 'bell\u0007' })).rejects.toMatchObject({ name: 'UnsafeNameError' })
  })

  it('are refused at fetch: a hand-made listing with them writes nothing', async () => {
    const store = new MemoryBlockStore()
    const child = await importBytes(new TextEncoder().encode('hello'), store, { name: 'child.txt' })
    for (const [label, name] of HOSTILE) {
      const folder = await rawFolder([
        { name: 'a-first.txt', kind: 'file', size: 5, cid: child.cid, key: child.key },
        { name, kind: 'file', size: 5, cid: child.cid, key: child.key }
      ], store)
      const out = join(await tempDir(), 'out')
      await expect(exportShare({ cid: folder.cid, key: folder.key }, store, { output: out }), label).rejects.toMatchObject({ name: 'UnsafeNameError' })
      expect(await readdir(out).catch(() => [])).toEqual([])
    }
  })
})
