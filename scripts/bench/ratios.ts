/**
 * The ratios `npm run bench` reports and the targets they are held to,
 * computed from named values (figure medians, peak RSS in MB) of one run.
 * A ratio whose inputs were not measured (not root for the namespaced
 * figures, no --rss) is left out of `ratios` and its target says why it was
 * skipped: never a made-up number.
 */

/** ≥ target (a speed ratio), ≤ target (a growth ratio), < target (a ceiling). */
export type TargetKind = 'at least' | 'at most' | 'below'

/**
 * A ratio of two values (`of` / `to`), or with no `to` a value held to a
 * target by itself (a peak RSS in MB), and what it means.
 */
export interface RatioSpec {
  name: string
  of: string
  to?: string
  target?: number
  kind?: TargetKind
  says: string
}

export const RATIOS: RatioSpec[] = [
  { name: 'fetchVsHeliaCat', of: 'veilFetchOneHolder', to: 'heliaCat', target: 2.0, says: 'Veil fetch (1 holder) / Helia bitswap cat' },
  { name: 'fetchVsLibp2p', of: 'veilFetchOneHolder', to: 'libp2pStream', target: 0.6, says: 'Veil fetch (1 holder) / raw libp2p stream' },
  { name: 'privateVsPublicFetch', of: 'veilFetchOneHolderPrivate', to: 'veilFetchOneHolder', target: 0.85, says: 'Veil fetch (1 holder), private swarm (pnet) / public swarm' },
  { name: 'shareVsHeliaAdd', of: 'veilShareLocal', to: 'heliaAdd', target: 1, says: 'Veil share into its own node / Helia add' },
  { name: 'shareR3VsOne', of: 'veilShareR3', to: 'veilShareR1', target: 0.8, says: 'Veil share to R=3 storage nodes / to 1 storage node' },
  { name: 'shareVsLibp2p', of: 'veilShareR1', to: 'libp2pStream', target: 0.4, says: 'Veil share to 1 storage node / raw libp2p stream' },
  { name: 'threeHoldersVsOne', of: 'veilFetchThreeHolders', to: 'veilFetchOneHolder', target: 1.3, says: 'Veil fetch, 3 holders / 1 holder, unlimited loopback (bound by the CPU)' },
  { name: 'threeHoldersVsOneLimited', of: 'veilFetchThreeHoldersLimited', to: 'veilFetchOneHolderLimited', target: 2.5, says: 'Veil fetch, 3 holders / 1 holder, each holder\'s link rate-limited (namespaces, tc)' },
  { name: 'shareVsLevelWrite', of: 'veilShareLocal', to: 'levelWrite', target: 0.9, says: 'Veil share into its own node / level batch write (bench:import\'s target)' },
  { name: 'shareToOneNodeVsHeliaAdd', of: 'veilShareR1', to: 'heliaAdd', says: 'Veil share to 1 storage node / Helia add' },
  { name: 'shareR3VsHeliaAdd', of: 'veilShareR3', to: 'heliaAdd', says: 'Veil share to R=3 storage nodes / Helia add' },
  { name: 'heliaCatVsLibp2p', of: 'heliaCat', to: 'libp2pStream', says: 'Helia cat / raw libp2p stream' },
  { name: 'libp2pVsTcp', of: 'libp2pStream', to: 'tcp', says: 'raw libp2p stream / raw TCP (the cost of Noise + Yamux)' },
  { name: 'fetchRss4GVs1G', of: 'rssFetch4G', to: 'rssFetch1G', target: 1.1, kind: 'at most', says: 'fetcher peak RSS, 4 GiB file / 1 GiB file' },
  { name: 'shareRss4GVs1G', of: 'rssShare4G', to: 'rssShare1G', target: 1.1, kind: 'at most', says: 'sharer (light client, 1 storage node) peak RSS, 4 GiB / 1 GiB' },
  { name: 'fetchPeakRssMB', of: 'rssFetchPeak', target: 250, kind: 'below', says: 'fetcher peak RSS, MB, highest of 1 GiB and 4 GiB' },
  { name: 'sharePeakRssMB', of: 'rssSharePeak', target: 250, kind: 'below', says: 'sharer peak RSS, MB, highest of 1 GiB and 4 GiB' }
]

export interface RatioOutcome {
  name: string
  says: string
  /** A ratio of two values (false: one value held to a target by itself). */
  ratio: boolean
  /** Absent when skipped. */
  value?: number
  target?: number
  kind: TargetKind
  /** Absent when there is no target or the value is absent. */
  met?: boolean
  /** Why there is no value. */
  skipped?: string
}

/** Is `value` within `target`? */
export function meets (value: number, target: number, kind: TargetKind = 'at least'): boolean {
  return kind === 'at least' ? value >= target : kind === 'at most' ? value <= target : value < target
}

/** "≥ 2", "≤ 1.1", "< 250". */
export function targetText (target: number, kind: TargetKind = 'at least'): string {
  return `${kind === 'at least' ? '≥' : kind === 'at most' ? '≤' : '<'} ${target}`
}

/**
 * Every spec against `values` (by key); a key in `missing` (or absent from
 * both) skips the specs that need it, with that reason.
 */
export function evaluate (values: ReadonlyMap<string, number>, missing: ReadonlyMap<string, string> = new Map(), specs: RatioSpec[] = RATIOS): RatioOutcome[] {
  return specs.map(spec => {
    const kind = spec.kind ?? 'at least'
    const base = { name: spec.name, says: spec.says, ratio: spec.to !== undefined, kind, ...(spec.target === undefined ? {} : { target: spec.target }) }
    const keys = spec.to === undefined ? [spec.of] : [spec.of, spec.to]
    const absent = keys.find(key => !values.has(key) || !Number.isFinite(values.get(key)))
    if (absent !== undefined) return { ...base, skipped: missing.get(absent) ?? `${absent} was not measured` }
    const of = values.get(spec.of)!
    const raw = spec.to === undefined ? of : of / values.get(spec.to)!
    const value = Number(raw.toFixed(spec.to === undefined ? 1 : 3))
    return { ...base, value, ...(spec.target === undefined ? {} : { met: meets(value, spec.target, kind) }) }
  })
}

/** bench-report.json's `ratios` (plain numbers; ratios only, skipped ones left out) and `targets`. */
export function ratiosJson (outcomes: RatioOutcome[]): { ratios: Record<string, number>, targets: Record<string, unknown> } {
  return {
    ratios: Object.fromEntries(outcomes.filter(o => o.value !== undefined && o.ratio).map(o => [o.name, o.value!])),
    targets: Object.fromEntries(outcomes.filter(o => o.target !== undefined).map(o => [o.name, o.skipped !== undefined
      ? { target: o.target, kind: o.kind, met: null, skipped: o.skipped }
      : { target: o.target, kind: o.kind, value: o.value, met: o.met }]))
  }
}
