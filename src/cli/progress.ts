/**
 * Progress events from the library (or relayed by the daemon) drawn as a
 * cli-progress bar with rate and ETA — only when stderr is a terminal and
 * --json is off, so pipes, scripts and logs stay clean.
 */
import { createRequire } from 'node:module'
import type cliProgressTypes from 'cli-progress'
import type { WireProgress } from '../daemon/index.js'
import { formatSize } from './config.js'
import { printable } from './output.js'

export interface ProgressInit {
  /** Draw at all (stderr is a TTY and not --json). */
  enabled: boolean
  /** "sharing" or "fetching". */
  verb: string
  /** Total bytes when known before the first event (a folder being shared). */
  total?: number
  stream?: NodeJS.WriteStream
}

/** cli-progress, loaded on the first bar drawn (it is not needed for `--help` or scripts). */
function cliProgress (): typeof cliProgressTypes {
  return createRequire(import.meta.url)('cli-progress') as typeof cliProgressTypes
}

export function barsWanted (json: boolean): boolean {
  return !json && process.stderr.isTTY === true
}

export class Progress {
  private bar: cliProgressTypes.SingleBar | undefined
  private value = 0
  private total: number | undefined
  private started = 0
  /** Files the importer skipped (symbolic links, devices), reported after the bar. */
  readonly skipped: Array<{ path: string, reason: string }> = []

  constructor (private readonly init: ProgressInit) {
    this.total = init.total
  }

  readonly onProgress = (event: WireProgress): void => {
    const d = event.detail
    switch (event.type) {
      case 'veil:import:start':
      case 'veil:export:start': {
        if (this.bar !== undefined) return // a folder's children each start again
        const known = this.total ?? (d.kind === 'folder' ? undefined : Number(d.size))
        this.begin(String(d.name ?? ''), known)
        return
      }
      case 'veil:import:block':
      case 'veil:export:block':
        this.advance(Number(d.bytes) || 0)
        return
      case 'veil:import:skipped':
        this.skipped.push({ path: String(d.path), reason: String(d.reason) })
    }
  }

  /** Remove the bar's cursor handling; `complete` fills the bar first. */
  stop (complete = false): void {
    if (this.bar === undefined) return
    if (complete && this.total !== undefined) this.value = Math.max(this.value, this.total)
    this.bar.update(this.barValue(), this.payload())
    this.bar.stop()
    this.bar = undefined
  }

  private begin (name: string, total: number | undefined): void {
    this.started = Date.now()
    if (!this.init.enabled) return
    this.total = total
    const shown = printable(name).slice(0, 32)
    const format = total === undefined
      ? `${this.init.verb} ${shown} {done} at {speed}`
      : `${this.init.verb} ${shown} |{bar}| {percentage}% {done}/{size} {speed} ETA {eta_formatted}`
    const { SingleBar, Presets } = cliProgress()
    this.bar = new SingleBar({
      format,
      stream: this.init.stream ?? process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 8
    }, Presets.shades_classic)
    this.bar.start(Math.max(1, total ?? 1), 0, this.payload())
  }

  private advance (bytes: number): void {
    this.value += bytes
    this.bar?.update(this.barValue(), this.payload())
  }

  private barValue (): number {
    return this.total === undefined ? 0 : Math.min(this.value, Math.max(1, this.total))
  }

  private payload (): Record<string, string> {
    const seconds = Math.max(0.001, (Date.now() - this.started) / 1000)
    return {
      done: formatSize(Math.min(this.value, this.total ?? Infinity)),
      size: formatSize(this.total ?? 0),
      speed: `${formatSize(this.value / seconds)}/s`
    }
  }
}
