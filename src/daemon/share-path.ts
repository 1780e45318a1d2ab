/**
 * A path inside a folder share (`veil://<cid>/photos/2024/a.jpg#<key>`),
 * resolved one name at a time through the folder listings, which only the
 * key opens; and a folder's whole tree, for `veil ls -r`. Names come from
 * shares and from users: messages show them with control characters
 * escaped, never raw.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { BlockSource } from '../blockstore/index.js'
import { openShare, openEntry, readFolderListing, type OpenedShare } from '../exporter/index.js'
import type { FolderEntry } from '../format/index.js'
import type { ShareLink } from '../link/index.js'
import { PathNotFoundError } from './errors.js'

/** Deepest folder nesting walked by `listTree` (a share's tree is finite, but may be hostile). */
export const MAX_TREE_DEPTH = 64

/** Open the share a link names, following its path (if any) down the folder tree. */
export async function openSharePath (link: ShareLink, source: BlockSource, options: AbortOptions = {}): Promise<OpenedShare> {
  let share = await openShare({ cid: link.cid, key: link.key }, source, options)
  const path = link.path ?? []
  for (const [i, name] of path.entries()) {
    const where = i === 0 ? 'the shared folder' : `"${shown(path.slice(0, i).join('/'))}"`
    if (share.meta.kind !== 'folder') throw new PathNotFoundError(`${where} is a file, so the path cannot go on to "${shown(name)}": shorten the path in the link`)
    const entries = await readFolderListing(share, source, options)
    const entry = entries.find(e => e.name === name)
    if (entry === undefined) throw new PathNotFoundError(`${where} has no entry "${shown(name)}": list it with \`veil ls\` and check the path in the link`)
    share = await openEntry(entry, source, options)
  }
  return share
}

export interface TreeEntry extends FolderEntry {
  /** Names from the listed folder down to this entry. */
  path: string[]
}

/** Every entry under a folder share, depth first in name order (folders before their contents). */
export async function * walkTree (share: OpenedShare, source: BlockSource, options: AbortOptions & { recursive?: boolean } = {}, parent: string[] = []): AsyncGenerator<TreeEntry> {
  if (parent.length > MAX_TREE_DEPTH) throw new PathNotFoundError(`the folder tree is more than ${MAX_TREE_DEPTH} levels deep: list a subfolder with a path in the link`)
  for (const entry of await readFolderListing(share, source, options)) {
    options.signal?.throwIfAborted()
    const path = [...parent, entry.name]
    yield { ...entry, path }
    if (entry.kind === 'folder' && options.recursive === true) {
      yield * walkTree(await openEntry(entry, source, options), source, options, path)
    }
  }
}

/** A name for an error message: control and bidi-override characters escaped. */
export function shown (name: string): string {
  return name.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
