/**
 * Progress events from the library (or relayed by the daemon) drawn on
 * stderr: a bar for the transfer (sealing a share, fetching one) and, for a
 * share, a second one for placing copies on storage nodes (bytes pushed,
 * rate, units placed). Bars are drawn when stderr is a terminal and --json
 * is off; `--progress` also prints them where it is not (one plain line per
 * second, for logs), `--no-progress` never. Events are untrusted text:
 * names are shown with control characters replaced.
 */
import { createRequire } from 'node:module'
import type cliProgressTypes from 'cli-progress'
import type { WireProgress } from '../control/index.js'
import { printable } from './output.js'
import { formatSize } from './units.js'

/** off: nothing; bars: redrawn in place (a terminal); lines: one line per update (logs, pipes). */
export type ProgressMode = 'off' | 'bars' | 'lines'

export interface ProgressFlags {
  /** --progress (true) or --no-progress (false); undefined: bars on a terminal only. */
  progress?: boolean
}

export interface ProgressInit {
  mode: ProgressMode
  /** "sealing" or "fetching". */
  verb: string
  /** Total bytes when known before the first event (a folder being shared). */
  total?: number
  /** The name to show (a folder being shared: its children start first). Default: from the first event. */
  name?: string
  stream?: NodeJS.WritableStream & { isTTY?: boolean }
  /** Lines mode: at most one line per phase this often. Default 1 s. */
  lineIntervalMs?: number
}

/** cli-progress, loaded on the first bar drawn (it is not needed for `--help` or scripts). */
function cliProgress (): typeof cliProgressTypes {
  return createRequire(import.meta.url)('cli-progress') as typeof cliProgressTypes
}

interface Phase {
  label: string
  started: number
  /** Bytes counted so far, and those that were already there when it started (a resumed fetch). */
  value: number
  base: number
  total: number | undefined
  bar?: cliProgressTypes.SingleBar
  lastLine: number
}

interface Unit { expected: number, pushed: number }

export class Progress {
  /** Resolve the mode from --json, --progress / --no-progress and whether stderr is a terminal. */
  static mode (json: boolean, flags: ProgressFlags, stream: { isTTY?: boolean } = process.stderr): ProgressMode {
    if (flags.progress === false) return 'off'
    const tty = stream.isTTY === true
    if (flags.progress === true) return tty ? 'bars' : 'lines'
    return !json && tty ? 'bars' : 'off'
  }

  private bars: cliProgressTypes.MultiBar | undefined
  private transfer: Phase | undefined
  private placement: Phase | undefined
  private pendingName: { name: string, total: number | undefined } | undefined
  private readonly units = new Map<string, Unit>()
  private unitsPlaced = 0
  private fewestCopies: number | undefined
  private copiesWanted = 0
  /** Files the importer skipped (symbolic links, devices), reported after the bars. */
  readonly skipped: Array<{ path: string, reason: string }> = []

  constructor (private readonly init: ProgressInit) {}

  private get stream (): NodeJS.WritableStream & { isTTY?: boolean } {
    return this.init.stream ?? process.stderr
  }

  readonly onProgress = (event: WireProgress): void => {
    const d = event.detail
    switch (event.type) {
      case 'veil:import:start':
        // A folder's children each start again: the first start names the share.
        if (this.transfer === undefined) this.transfer = this.begin(`${this.init.verb} ${shortName(this.init.name ?? d.name)}`, this.init.total ?? Number(d.size), 0)
        return
      case 'veil:export:start':
        // Drawn at the first block or resumed position, so a resumed fetch never shows 0 %.
        if (this.transfer === undefined && this.pendingName === undefined) {
          this.pendingName = { name: String(d.name ?? ''), total: this.init.total ?? (d.kind === 'folder' ? undefined : Number(d.size)) }
        }
        return
      case 'veil:pin:start':
        if (this.transfer === undefined && this.pendingName === undefined) this.pendingName = { name: this.init.name ?? `${Number(d.shares)} share${Number(d.shares) === 1 ? '' : 's'}`, total: undefined }
        return
      case 'veil:export:resumed':
        this.advanceTransfer(Number(d.bytes) || 0, true)
        return
      case 'veil:import:block':
      case 'veil:export:block':
      case 'veil:pin:block':
        this.advanceTransfer(Number(d.bytes) || 0, false)
        return
      case 'veil:import:skipped':
        this.skipped.push({ path: String(d.path), reason: String(d.reason) })
        return
      case 'veil:share:place:queued':
        this.queueUnit(String(d.unit), (Number(d.bytes) || 0) * (Number(d.copies) || 0))
        return
      case 'veil:share:place:push':
        this.pushed(String(d.unit), Number(d.bytes) || 0)
        return
      case 'veil:share:place:done':
        this.unitPlaced(String(d.unit), Number(d.copies) || 0, Number(d.wanted) || 0)
    }
  }

  /** Draw the final state and release the terminal; `complete` fills the bars first. */
  stop (complete = false): void {
    if (this.transfer === undefined && this.pendingName !== undefined && complete) this.transfer = this.startPending(0)
    for (const phase of [this.transfer, this.placement]) {
      if (phase === undefined) continue
      if (complete && phase.total !== undefined) phase.value = Math.max(phase.value, phase.total)
      this.draw(phase, true)
    }
    this.bars?.stop()
    this.bars = undefined
    this.transfer = undefined
    this.placement = undefined
    this.pendingName = undefined
  }

  private advanceTransfer (bytes: number, resumed: boolean): void {
    if (this.transfer === undefined) {
      // The first event draws the bar: at the resumed position when it is one.
      this.transfer = this.startPending(resumed ? bytes : 0)
      if (resumed) return
    } else if (resumed) {
      this.transfer.base += bytes
    }
    this.transfer.value += bytes
    this.draw(this.transfer)
  }

  private startPending (resumed: number): Phase {
    const pending = this.pendingName ?? { name: '', total: this.init.total }
    this.pendingName = undefined
    return this.begin(`${this.init.verb} ${shortName(pending.name)}`, pending.total, resumed)
  }

  private queueUnit (unit: string, expected: number): void {
    if (expected <= 0) return
    this.units.set(unit, { expected, pushed: 0 })
    if (this.placement === undefined) {
      this.placement = this.begin('placing copies', expected, 0)
      return
    }
    this.placement.total = (this.placement.total ?? 0) + expected
    this.draw(this.placement)
  }

  private pushed (unit: string, bytes: number): void {
    const entry = this.units.get(unit)
    if (entry === undefined || this.placement === undefined) return
    // A refused push is retried on the next node: never count past what the unit needs.
    const counted = Math.min(bytes, entry.expected - entry.pushed)
    entry.pushed += counted
    this.placement.value += counted
    this.draw(this.placement)
  }

  private unitPlaced (unit: string, copies: number, wanted: number): void {
    const entry = this.units.get(unit)
    this.unitsPlaced++
    this.copiesWanted = wanted
    this.fewestCopies = Math.min(this.fewestCopies ?? copies, copies)
    if (entry !== undefined && this.placement !== undefined) {
      // Done: copies a node already held, or that could not be placed, count as settled.
      this.placement.value += entry.expected - entry.pushed
      entry.pushed = entry.expected
    }
    if (this.placement !== undefined) this.draw(this.placement)
  }

  private begin (label: string, total: number | undefined, resumed: number): Phase {
    const phase: Phase = { label, started: Date.now(), value: resumed, base: resumed, total, lastLine: 0 }
    if (this.init.mode === 'bars') {
      const { MultiBar, Presets } = cliProgress()
      this.bars ??= new MultiBar({
        stream: this.stream as NodeJS.WritableStream,
        hideCursor: true,
        clearOnComplete: false,
        fps: 8,
        barsize: 20,
        format: '{label} |{bar}| {text}'
      }, Presets.shades_classic)
      phase.bar = this.bars.create(Math.max(1, total ?? 1), this.barValue(phase), { label: barLabel(label), text: this.text(phase) })
    }
    this.draw(phase, true)
    return phase
  }

  private draw (phase: Phase, force = false): void {
    if (this.init.mode === 'bars') {
      phase.bar?.setTotal(Math.max(1, phase.total ?? 1))
      phase.bar?.update(this.barValue(phase), { label: barLabel(phase.label), text: this.text(phase) })
    } else if (this.init.mode === 'lines') {
      const now = Date.now()
      if (!force && now - phase.lastLine < (this.init.lineIntervalMs ?? 1000)) return
      phase.lastLine = now
      this.stream.write(`${printable(phase.label)}: ${this.text(phase)}\n`)
    }
  }

  private barValue (phase: Phase): number {
    return phase.total === undefined ? 0 : Math.min(phase.value, Math.max(1, phase.total))
  }

  /** "45% 135.0 MiB/300.0 MiB 150.2 MiB/s ETA 1 s", plus units placed for the placement phase. */
  private text (phase: Phase): string {
    const seconds = Math.max(0.001, (Date.now() - phase.started) / 1000)
    const rate = (phase.value - phase.base) / seconds
    const total = phase.total
    let text = total === undefined || total === 0
      ? `${formatSize(phase.value)} at ${formatSize(rate)}/s`
      : `${Math.floor(100 * Math.min(phase.value, total) / total)}% ${formatSize(Math.min(phase.value, total))}/${formatSize(total)} ${formatSize(rate)}/s${eta(total - phase.value, rate)}`
    if (phase === this.placement) {
      const fewest = this.fewestCopies
      const copies = fewest === undefined ? '' : fewest === this.copiesWanted ? ` (${fewest} ${fewest === 1 ? 'copy' : 'copies'} each)` : ` (at least ${fewest} of ${this.copiesWanted} copies each)`
      text += `, ${this.unitsPlaced}/${this.units.size} units placed${copies}`
    }
    return text
  }
}

function eta (left: number, rate: number): string {
  if (left <= 0 || rate <= 0) return ''
  const seconds = Math.ceil(left / rate)
  return seconds < 60 ? ` ETA ${seconds} s` : ` ETA ${Math.floor(seconds / 60)} min ${seconds % 60} s`
}

/** Labels padded to one width, so the bars line up. */
function barLabel (label: string): string {
  return printable(label).padEnd(24)
}

function shortName (name: unknown): string {
  return printable(String(name ?? '')).slice(0, 32)
}
