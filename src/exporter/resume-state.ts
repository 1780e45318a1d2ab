import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import type { CID } from 'multiformats/cid'

/**
 * The small state file beside a partial download (`<out>.veil-state`): which
 * share it belongs to and how many leading blocks of `<out>.veil-part` are
 * written and verified. It holds the root CID (public) and never the key.
 */
export interface ResumeState {
  version: 1
  root: string
  blockSize: number
  size: number
  /** Blocks 0 … blocksDone-1 are written to the part file. */
  blocksDone: number
}

export const PART_SUFFIX = '.veil-part'
export const STATE_SUFFIX = '.veil-state'

export function partPath (output: string): string { return output + PART_SUFFIX }
export function statePath (output: string): string { return output + STATE_SUFFIX }

/** The saved state if it matches this share, else undefined (start afresh). */
export async function loadResumeState (output: string, cid: CID, blockSize: number, size: number): Promise<ResumeState | undefined> {
  let text: string
  try {
    text = await readFile(statePath(output), 'utf8')
  } catch {
    return undefined
  }
  if (text.length > 4096) return undefined
  try {
    const state = JSON.parse(text) as Partial<ResumeState>
    if (state.version !== 1 || state.root !== cid.toString() || state.blockSize !== blockSize || state.size !== size) return undefined
    if (typeof state.blocksDone !== 'number' || !Number.isSafeInteger(state.blocksDone) || state.blocksDone < 0) return undefined
    return state as ResumeState
  } catch {
    return undefined
  }
}

/** Write the state atomically (temp file + rename), so a crash never leaves half a state. */
export async function saveResumeState (output: string, state: ResumeState): Promise<void> {
  const tmp = statePath(output) + '.tmp'
  await writeFile(tmp, JSON.stringify(state))
  await rename(tmp, statePath(output))
}

export async function removeResumeFiles (output: string): Promise<void> {
  await rm(statePath(output), { force: true })
  await rm(statePath(output) + '.tmp', { force: true })
  await rm(partPath(output), { force: true })
}
