import { describe, it, expect } from 'vitest'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { KeyStore, KEY_EXPORT_PREFIX, nameLink } from '../../../src/names/index.js'
import { parseLink, isNameCid } from '../../../src/link/index.js'
import { tempDir } from '../../helpers/files.js'

describe('the key store (<repo>/keys/<name>)', () => {
  it('makes a key once, owner-only, and lists it with its mutable link', async () => {
    const repo = await tempDir()
    const store = new KeyStore(repo)
    const { key, created } = await store.getOrCreate('notes')
    expect(created).toBe(true)
    expect((await store.getOrCreate('notes')).created).toBe(false)
    expect((await stat(join(repo, 'keys', 'notes'))).mode & 0o777).toBe(0o600)
    expect((await stat(join(repo, 'keys'))).mode & 0o777).toBe(0o700)
    const [info] = await store.list()
    expect(info).toMatchObject({ name: 'notes', sequence: 0 })
    const parsed = parseLink(info!.link, { allowName: true })
    expect(isNameCid(parsed.cid)).toBe(true)
    expect(parsed.key).toEqual(key.readKey)
    expect(info!.link).toBe(nameLink(key))
  })

  it('exports one checked line and imports it elsewhere: the same link, the sequence carried over', async () => {
    const a = new KeyStore(await tempDir())
    const { key } = await a.getOrCreate('site')
    await a.save({ ...key, sequence: 7 })
    const text = await a.export('site')
    expect(text.startsWith(KEY_EXPORT_PREFIX)).toBe(true)
    const b = new KeyStore(await tempDir())
    const imported = await b.import(text)
    expect(imported).toMatchObject({ name: 'site', sequence: 7 })
    expect(nameLink(imported)).toBe(nameLink(key))
    await expect(b.import(text)).rejects.toMatchObject({ name: 'KeyExistsError' })
    expect((await b.import(text, { as: 'site2' })).name).toBe('site2')
    expect(nameLink((await b.require('site2')))).toBe(nameLink(key))
  })

  it('refuses a damaged export, a bad name and a damaged file, saying what to do', async () => {
    const store = new KeyStore(await tempDir())
    const { key } = await store.getOrCreate('k')
    const text = await store.export('k')
    await expect(store.import(text.slice(0, -3))).rejects.toMatchObject({ name: 'KeyFileError' })
    await expect(store.import(text.replace('veil-key', 'veil-kee'))).rejects.toMatchObject({ name: 'KeyFileError' })
    await expect(store.getOrCreate('../escape')).rejects.toMatchObject({ name: 'KeyNameError' })
    await expect(store.getOrCreate('.hidden')).rejects.toMatchObject({ name: 'KeyNameError' })
    await expect(store.require('missing')).rejects.toMatchObject({ name: 'KeyNotFoundError' })
    await writeFile(join(store.dir, 'k'), 'garbage')
    await expect(store.get('k')).rejects.toMatchObject({ name: 'KeyFileError' })
    expect(key.name).toBe('k')
  })
})
