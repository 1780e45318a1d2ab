/** Sizes and durations as people write them ("50GiB", "90s") and as the CLI shows them. */

const SIZE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
const SIZE_POWERS: Record<string, number> = { b: 0, k: 1, m: 2, g: 3, t: 4, p: 5 }

/**
 * A human size: "50GiB", "1.5TiB", "500 MB", "1048576". Units are binary
 * everywhere in Veil (1 KiB = 1024 bytes); KB, MB, GB… are read the same way
 * as KiB, MiB, GiB…, as most disk tools do.
 */
export function parseSize (text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgtp])(?:i?b)?|(b))?\s*$/i.exec(text)
  if (match === null) throw new Error(`"${text}" is not a size: use a number with a unit, such as 500MiB, 50GiB or 1.5TiB`)
  const power = SIZE_POWERS[(match[2] ?? 'b').toLowerCase()]!
  const value = Number(match[1]) * 1024 ** power
  if (!Number.isFinite(value)) throw new Error(`"${text}" is not a size: use a number with a unit, such as 500MiB, 50GiB or 1.5TiB`)
  return Math.floor(value)
}

/** A size for people, in binary units labelled as such: "812 B", "3.0 MiB", "1.4 GiB". */
export function formatSize (value: number): string {
  if (!Number.isFinite(value) || value < 1024) return `${Number.isFinite(value) ? Math.max(0, Math.round(value)) : 0} B`
  let unit = 0
  let scaled = value
  while (scaled >= 1024 && unit < SIZE_UNITS.length - 1) {
    scaled /= 1024
    unit++
  }
  return `${scaled.toFixed(1)} ${SIZE_UNITS[unit]!}`
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** "90s", "10m", "1h", "30d", "500ms" → milliseconds. */
export function parseDuration (text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i.exec(text)
  if (match === null) throw new Error(`"${text}" is not a duration: use a number with s, m, h or d, such as 90s, 10m, 1h or 30d`)
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]!.toLowerCase()]!)
}
