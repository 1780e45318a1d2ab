/**
 * `veil get`'s caps on what a folder share may write (see
 * src/exporter/folder-plan.ts): the flags' parsers, and the line that says
 * what a folder holds before any of it is written.
 */
import { InvalidArgumentError } from 'commander'
import type { FolderLimits } from '../exporter/index.js'
import type { WireProgress } from '../control/index.js'
import { parseSize } from './units.js'

export interface FolderLimitFlags {
  maxEntries?: number
  maxDepth?: number
  maxSize?: number
}

/** A whole number ≥ 1 (for --max-entries and --max-depth). */
export function countArg (value: string): number {
  if (!/^\d{1,15}$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError(`"${value}" is not a count: use a whole number such as 500000`)
  return Number(value)
}

/** A size such as 2TB (for --max-size); 0 is allowed (a folder of empty files). */
export function limitSizeArg (value: string): number {
  try {
    return parseSize(value)
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message)
  }
}

/** The limits the flags ask for (undefined ones keep the library's defaults). */
export function folderLimitsOf (flags: FolderLimitFlags): FolderLimits | undefined {
  if (flags.maxEntries === undefined && flags.maxDepth === undefined && flags.maxSize === undefined) return undefined
  return { maxEntries: flags.maxEntries, maxDepth: flags.maxDepth, maxBytes: flags.maxSize }
}

/** "the folder holds 3 files in 2 folders, 60 B" — once its listings are read, before writing. */
export function folderSummary (event: WireProgress, formatSize: (bytes: number) => string): string | undefined {
  if (event.type !== 'veil:export:folder') return undefined
  const { files, folders, bytes } = event.detail
  return `veil: the folder holds ${Number(files)} files in ${Number(folders)} folders, ${formatSize(Number(bytes))}`
}
