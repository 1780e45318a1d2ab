/**
 * Flag value parsers and the flags several commands share. A parser that
 * throws InvalidArgumentError makes commander report a usage error (exit 2).
 */
import { InvalidArgumentError, type Command } from 'commander'
import { parseDuration, parseSize } from './units.js'

/** "50GiB", "1.5TiB", "500 MiB" (GB, MB… read as binary too): at least 1 MiB. */
export function sizeArg (value: string): number {
  let size: number
  try {
    size = parseSize(value)
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message)
  }
  if (size < 1024 * 1024) throw new InvalidArgumentError(`"${value}" is too small: give at least 1MiB`)
  return size
}

/** How long until a share expires: "7d", "12h", "30m", "90s" → ms (1 s to 100 years). */
export function expiryArg (value: string): number {
  let ms: number
  try {
    ms = parseDuration(value)
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message)
  }
  if (ms < 1000 || ms > 100 * 365 * 86_400_000) throw new InvalidArgumentError(`"${value}" is not a time to expire after: give 1s to 100 years, such as 7d`)
  return ms
}

/** A whole number of copies, 0–20. */
export function replicasArg (value: string): number {
  if (!/^\d{1,2}$/.test(value.trim()) || Number(value) > 20) throw new InvalidArgumentError(`"${value}" is not a number of copies: use a whole number from 0 to 20, such as 3`)
  return Number(value)
}

/**
 * A repeatable flag that takes one value each time, commas allowed:
 * `--bootstrap A --bootstrap B` and `--bootstrap A,B` both give [A, B]. (A
 * variadic flag would swallow the command's own argument that follows it.)
 */
export function collectList (value: string, previous: string[] | undefined): string[] {
  const items = value.split(',').map(s => s.trim()).filter(s => s.length > 0)
  if (items.length === 0) throw new InvalidArgumentError(`"${value}" is empty: give an address`)
  return [...(previous ?? []), ...items]
}

/** --bootstrap and --swarm-key, for every command that may start a node. */
export function withNetworkOptions (cmd: Command): Command {
  return cmd
    .option('--bootstrap <multiaddr>', 'a peer to join through, ending with /p2p/<peer id>; repeat the flag or separate with commas for several (default: VEIL_BOOTSTRAP, then config)', collectList)
    .option('--swarm-key <file>', 'the private swarm\'s key file (default: VEIL_SWARM_KEY, then config, then <repo>/swarm.key)')
    .option('--join-timeout <duration>', 'how long to wait to join the swarm through the bootstrap peers, such as 45s (default: VEIL_JOIN_TIMEOUT, then config "joinTimeout", then 30s); a running node keeps trying after it')
}

export type { ProgressFlags } from './progress.js'

/** --progress / --no-progress, for the commands that draw progress (share, get). */
export function withProgressOptions (cmd: Command): Command {
  return cmd
    .option('--progress', 'show progress even when stderr is not a terminal (one line per second, for logs)')
    .option('--no-progress', 'never show progress')
}

/** The "Example:" block under a command's help. */
export function examples (...lines: string[]): string {
  return `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map(line => `  $ ${line}`).join('\n')}`
}
