import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import { InvalidManifestError, UnsafeNameError } from '../errors.js'
import { FILE_KEY_LENGTH } from '../crypto/portable.js'
import { checkCid, decodeCborMap, expectKeys, readBytes, readInt, readLiteral, readString, utf8Length, type CborMap } from './codec.js'
import { FORMAT_VERSION, MAX_FOLDER_ENTRIES, MAX_FOLDER_LISTING_SIZE, MAX_SHARE_SIZE } from './limits.js'
import type { ShareKind } from './root-open.js'
import { unsafeCharacter, visibleName } from './names.js'

/**
 * A folder share's content is its listing: one entry per child, each with the
 * child's own link (root CID + file key), so one entry can be handed out
 * without its siblings (as Mega folders and Tahoe dirnodes allow). The
 * listing is encrypted like any file content; only link holders can read it.
 */

export interface FolderEntry {
  name: string
  kind: ShareKind
  /** True size of a file; a folder's total of its files. */
  size: number
  cid: CID
  key: Uint8Array
}

/** Longest entry name in bytes (the usual filesystem NAME_MAX). */
export const MAX_ENTRY_NAME_BYTES = 255

/**
 * A name that is one portable path component: no separators, no NUL, not
 * "." or "..", no control or text-direction characters (see names.ts).
 * Checked when building and when reading a listing, so a hostile listing can
 * never write outside the output folder nor plant an ESC or a U+202E in a name.
 */
export function checkEntryName (name: string): void {
  if (name.length === 0) throw new UnsafeNameError('a folder entry has an empty name')
  if (utf8Length(name) > MAX_ENTRY_NAME_BYTES) throw new UnsafeNameError(`a folder entry name is longer than ${MAX_ENTRY_NAME_BYTES} bytes`)
  if (name === '.' || name === '..') throw new UnsafeNameError(`a folder entry is named "${name}", which would escape the output folder`)
  if (/[/\\\0]/.test(name)) throw new UnsafeNameError(`the folder entry name ${visibleName(name)} contains a path separator or NUL`)
  const unsafe = unsafeCharacter(name)
  if (unsafe !== undefined) throw new UnsafeNameError(`the name ${visibleName(name)} contains a control or text-direction character (${unsafe}), which would garble terminals and file listings`)
}

function compareNames (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function encodeFolderListing (entries: FolderEntry[]): Uint8Array {
  if (entries.length > MAX_FOLDER_ENTRIES) throw new InvalidManifestError(`a folder can hold at most ${MAX_FOLDER_ENTRIES} entries`)
  const sorted = [...entries].sort((a, b) => compareNames(a.name, b.name))
  for (let i = 0; i < sorted.length; i++) {
    checkEntryName(sorted[i]!.name)
    if (i > 0 && sorted[i - 1]!.name === sorted[i]!.name) throw new UnsafeNameError(`two folder entries are both named ${JSON.stringify(sorted[i]!.name)}`)
  }
  const bytes = dagCbor.encode({
    v: FORMAT_VERSION,
    t: 'dir',
    e: sorted.map(e => ({ n: e.name, k: e.kind, s: e.size, c: e.cid, key: e.key }))
  })
  if (bytes.length > MAX_FOLDER_LISTING_SIZE) throw new InvalidManifestError(`the folder listing is over ${MAX_FOLDER_LISTING_SIZE} bytes`)
  return bytes
}

export function decodeFolderListing (bytes: Uint8Array): FolderEntry[] {
  const what = 'folder listing'
  const map = decodeCborMap(bytes, MAX_FOLDER_LISTING_SIZE, what)
  if (map.v !== FORMAT_VERSION || map.t !== 'dir') throw new InvalidManifestError(`${what} has the wrong version or type`)
  expectKeys(map, ['v', 't', 'e'], what)
  const list = map.e
  if (!Array.isArray(list) || list.length > MAX_FOLDER_ENTRIES) throw new InvalidManifestError(`${what} must hold at most ${MAX_FOLDER_ENTRIES} entries`)
  const entries: FolderEntry[] = []
  for (const item of list) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new InvalidManifestError(`${what} has an entry that is not a map`)
    const entry = item as CborMap
    expectKeys(entry, ['n', 'k', 's', 'c', 'key'], 'folder entry')
    const name = readString(entry, 'n', MAX_ENTRY_NAME_BYTES, 'folder entry')
    checkEntryName(name)
    const previous = entries[entries.length - 1]
    if (previous !== undefined && compareNames(previous.name, name) >= 0) {
      throw new InvalidManifestError(`${what} is not sorted or repeats the name ${JSON.stringify(name)}`)
    }
    entries.push({
      name,
      kind: readLiteral(entry, 'k', ['file', 'folder'] as const, 'folder entry'),
      size: readInt(entry, 's', 0, MAX_SHARE_SIZE, 'folder entry'),
      cid: checkCid(entry.c, 'node', 'folder entry'),
      key: readBytes(entry, 'key', FILE_KEY_LENGTH, FILE_KEY_LENGTH, 'folder entry')
    })
  }
  return entries
}
