/**
 * The profiled pass of `npm run bench -- --profile`: after the measured
 * rounds (so profiling never slows a figure), a fresh holder serves the file
 * to a fetcher, both profiling themselves (see profile.ts), and the two
 * profiles are broken down by where the time went.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fetchRun, startHolder } from './transfer.js'
import { PROFILE_DIR_ENV, breakdown, type Breakdown } from './profile.js'
import { mbps } from './lib.js'

export interface ProfileResult {
  /** Where the .cpuprofile files are (open them in Chrome DevTools or speedscope). */
  dir: string
  /** The profiled fetch's speed: profiling slows it, so it is not a benchmark figure. */
  fetchMbps: number
  fetcher: Breakdown
  holder: Breakdown
}

export async function profileRun (input: string, dir: string, outDir: string): Promise<ProfileResult> {
  const env = { [PROFILE_DIR_ENV]: outDir }
  const holder = await startHolder(join(dir, 'holder-profiled'), { input }, env)
  let fetch
  try {
    fetch = await fetchRun(holder.addr, holder.link!, join(dir, 'profiled.bin'), env)
  } finally {
    await holder.child.stop()
  }
  const files = await readdir(outDir)
  const find = (prefix: string): string => {
    const name = files.find(f => f.startsWith(prefix) && f.endsWith('.cpuprofile'))
    if (name === undefined) throw new Error(`the ${prefix} wrote no CPU profile to ${outDir}`)
    return join(outDir, name)
  }
  return { dir: outDir, fetchMbps: mbps(fetch.bytes, fetch.ms), fetcher: await breakdown(find('fetcher-')), holder: await breakdown(find('holder-')) }
}
