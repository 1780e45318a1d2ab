import { describe, it, expect } from 'vitest'
import { RATIOS, evaluate, meets, ratiosJson, targetText } from '../../../scripts/bench/ratios.js'
import { rssValues, type RssRun } from '../../../scripts/bench/rss.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

/** Medians (MB/s) as one full run might give them, every figure present. */
const measured = new Map<string, number>([
  ['veilFetchOneHolder', 120],
  ['veilFetchOneHolderPrivate', 96],
  ['veilFetchThreeHolders', 126],
  ['veilFetchOneHolderLimited', 23],
  ['veilFetchThreeHoldersLimited', 62],
  ['heliaCat', 50],
  ['heliaAdd', 300],
  ['libp2pStream', 200],
  ['tcp', 1600],
  ['veilShareLocal', 330],
  ['veilShareR1', 90],
  ['veilShareR3', 81],
  ['levelWrite', 290]
])

const run = (size: number, mb: number): RssRun => ({ size, peakRss: mb * MiB, memory: { rss: mb * MiB, heapUsed: 0, external: 0, arrayBuffers: 0 }, mbps: 1 })

describe('bench ratios and targets', () => {
  it('divides the medians named by each ratio and says whether its target is met', () => {
    const byName = new Map(evaluate(measured).map(o => [o.name, o]))
    expect(byName.get('fetchVsHeliaCat')).toMatchObject({ value: 2.4, target: 2, met: true })
    expect(byName.get('fetchVsLibp2p')).toMatchObject({ value: 0.6, target: 0.6, met: true })
    expect(byName.get('privateVsPublicFetch')).toMatchObject({ value: 0.8, target: 0.85, met: false })
    expect(byName.get('shareR3VsOne')).toMatchObject({ value: 0.9, target: 0.8, met: true })
    expect(byName.get('shareVsLibp2p')).toMatchObject({ value: 0.45, target: 0.4, met: true })
    expect(byName.get('threeHoldersVsOneLimited')).toMatchObject({ value: 2.696, target: 2.5, met: true })
    expect(byName.get('threeHoldersVsOne')).toMatchObject({ value: 1.05, target: 1.3, met: false })
    expect(byName.get('libp2pVsTcp')).toMatchObject({ value: 0.125 })
    expect(byName.get('libp2pVsTcp')?.met).toBeUndefined()
  })

  it('skips, with the reason given, every ratio whose inputs were not measured, and never reports a value for it', () => {
    const values = new Map(measured)
    values.delete('veilFetchOneHolderLimited')
    values.delete('veilFetchThreeHoldersLimited')
    const why = 'the testnet needs root (network namespaces)'
    const outcomes = evaluate(values, new Map([['veilFetchOneHolderLimited', why], ['veilFetchThreeHoldersLimited', why]]))
    const limited = outcomes.find(o => o.name === 'threeHoldersVsOneLimited')!
    expect(limited.value).toBeUndefined()
    expect(limited.met).toBeUndefined()
    expect(limited.skipped).toBe(why)
    const json = ratiosJson(outcomes)
    expect(json.ratios).not.toHaveProperty('threeHoldersVsOneLimited')
    expect(json.ratios).toHaveProperty('threeHoldersVsOne', 1.05)
    expect(json.targets.threeHoldersVsOneLimited).toEqual({ target: 2.5, kind: 'at least', met: null, skipped: why })
    expect(json.targets.fetchVsHeliaCat).toEqual({ target: 2, kind: 'at least', value: 2.4, met: true })
    // RSS was not measured either: skipped, with a reason that is not empty.
    expect(outcomes.find(o => o.name === 'fetchRss4GVs1G')?.skipped).toMatch(/not measured/)
  })

  it('holds peak RSS to "at most 1.10× from 1 GiB to 4 GiB" and "below 250 MB", the highest of both sizes', () => {
    const values = rssValues({ fetch: [run(GiB, 180), run(4 * GiB, 190)], share: [run(GiB, 200), run(4 * GiB, 260)], holderPeakRss: [], storagePeakRss: [] })
    expect(Object.fromEntries(values)).toEqual({ rssFetch1G: 180, rssFetch4G: 190, rssFetchPeak: 190, rssShare1G: 200, rssShare4G: 260, rssSharePeak: 260 })
    const json = ratiosJson(evaluate(values))
    expect(json.ratios).toMatchObject({ fetchRss4GVs1G: 1.056, shareRss4GVs1G: 1.3 })
    // Absolute peaks are targets, not ratios.
    expect(json.ratios).not.toHaveProperty('fetchPeakRssMB')
    expect(json.targets).toMatchObject({
      fetchRss4GVs1G: { target: 1.1, kind: 'at most', met: true },
      shareRss4GVs1G: { target: 1.1, kind: 'at most', met: false },
      fetchPeakRssMB: { target: 250, kind: 'below', value: 190, met: true },
      sharePeakRssMB: { target: 250, kind: 'below', value: 260, met: false }
    })
  })

  it('compares at the edge as each kind of target says', () => {
    expect(meets(2, 2)).toBe(true)
    expect(meets(1.1, 1.1, 'at most')).toBe(true)
    expect(meets(250, 250, 'below')).toBe(false)
    expect(targetText(0.85)).toBe('≥ 0.85')
    expect(targetText(1.1, 'at most')).toBe('≤ 1.1')
    expect(targetText(250, 'below')).toBe('< 250')
  })

  it('names every ratio once, and only measured keys', () => {
    expect(new Set(RATIOS.map(r => r.name)).size).toBe(RATIOS.length)
    const keys = new Set([...measured.keys(), 'rssFetch1G', 'rssFetch4G', 'rssShare1G', 'rssShare4G', 'rssFetchPeak', 'rssSharePeak'])
    for (const spec of RATIOS) {
      expect(keys.has(spec.of)).toBe(true)
      if (spec.to !== undefined) expect(keys.has(spec.to)).toBe(true)
    }
  })
})
