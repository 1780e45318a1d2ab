import type { ProgressEvent } from 'progress-events'
import type { ShareKind } from '../format/index.js'
import type { ResumeProgressEvents } from './file-output.js'
import type { ReadProgressEvents } from './read-share.js'

/** Everything an export tells as it goes. */
export type ExportProgressEvents = ReadProgressEvents | ResumeProgressEvents |
  ProgressEvent<'veil:export:start', { name: string, kind: ShareKind, size: number, blocks: number }> |
  /** A folder's whole tree was read and fits the limits: what writing it will make, before any of it is written. */
  ProgressEvent<'veil:export:folder', { files: number, folders: number, bytes: number, depth: number }>
