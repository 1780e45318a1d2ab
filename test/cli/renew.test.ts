import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { formatVerifyLink } from '../../src/link/index.js'
import { dagCborCid } from '../../src/format/index.js'
import { tempDir, writeRandomFile } from '../helpers/files.js'
import { cleanEnv, errorLine, startDaemon, veil } from './helpers.js'

const KiB = 1024

interface ShareJson { link: string, cid: string, replicas: number, keptUntil: string | null }
interface RenewJson { shares: Array<{ cid: string, units: number, copies: number, keptUntil: string | null }> }

describe('share lifetime on the command line', () => {
  it('share says how long the copies are kept; renew (a link, a verify-only link, or every share of the repo) extends it; status shows each storage pass', async () => {
    const dir = await tempDir()
    // Test-mode timers: a 10-minute lease, repair every 5 s.
    const env = cleanEnv({ VEIL_TEST_MODE: '1' })
    const s1 = await startDaemon(join(dir, 's1'), ['--storage', '100MB'], { env })
    await startDaemon(join(dir, 's2'), ['--storage', '100MB', '--bootstrap', s1.address], { env })
    const light = join(dir, 'light')
    const file = join(dir, 'a.bin')
    await writeRandomFile(file, 300 * KiB)

    const before = Date.now()
    const shared = await veil(['--repo', light, 'share', file, '--replicas', '2', '--json', '--bootstrap', s1.address], { env })
    expect(shared.code, shared.stderr).toBe(0)
    const share = JSON.parse(shared.stdout) as ShareJson
    expect(share.replicas).toBe(2)
    const kept = Date.parse(share.keptUntil!)
    expect(kept).toBeGreaterThan(before + 9 * 60_000)
    expect(kept).toBeLessThanOrEqual(Date.now() + 10 * 60_000)

    const human = await veil(['--repo', join(dir, 'light2'), 'share', file, '--replicas', '2', '--bootstrap', s1.address], { env })
    expect(human.stdout).toMatch(/kept until at least \d{4}-\d\d-\d\d \d\d:\d\d UTC; renew it with `veil renew <link>`/)

    // Anyone with the verify-only link renews it on both holders.
    const verifyOnly = share.link.split('#')[0]!
    const renewed = await veil(['--repo', join(dir, 'other'), 'renew', verifyOnly, '--json', '--bootstrap', s1.address], { env })
    expect(renewed.code, renewed.stderr).toBe(0)
    const renewal = JSON.parse(renewed.stdout) as RenewJson
    expect(renewal.shares).toEqual([{ cid: share.cid, units: 1, copies: 2, keptUntil: expect.any(String) }])
    expect(Date.parse(renewal.shares[0]!.keptUntil!)).toBeGreaterThanOrEqual(kept)

    // No link: every share this repo made.
    const all = await veil(['--repo', light, 'renew', '--bootstrap', s1.address], { env })
    expect(all.code, all.stderr).toBe(0)
    expect(all.stdout).toMatch(new RegExp(`^renewed ${share.cid}: 1 units on 2\\+ storage nodes each; kept until at least`, 'm'))

    // A share nobody holds: exit 1, and say so.
    const unknown = formatVerifyLink({ cid: dagCborCid(new Uint8Array(randomBytes(64))) })
    const nowhere = await veil(['--repo', join(dir, 'other'), 'renew', unknown, '--bootstrap', s1.address], { env, timeoutMs: 90_000 })
    expect(nowhere.code).toBe(1)
    expect(errorLine(nowhere)).toMatch(/not found|no peer|renewed on no storage node/i)

    // Status: each storage pass, and what is true. Two storage nodes for
    // R=3: both units are one copy short, and nothing can repair them.
    const sharedBy = Date.now()
    let storage: { lastRepair: { at: number, units: number, underReplicated: number } | null, lastScrub: unknown, lastGc: unknown, repairBacklog: number, expiredUnits: number }
    for (;;) {
      const status = await veil(['--repo', s1.repo, 'status', '--json'], { env })
      storage = (JSON.parse(status.stdout) as { storage: typeof storage }).storage
      if (storage.lastRepair !== null && storage.lastRepair.at > sharedBy) break
      // Poll: a repair pass runs every 5 s in test mode (the loop ends with the test's timeout at worst).
      await new Promise(resolve => setTimeout(resolve, 500))
    }
    expect(storage).toHaveProperty('lastScrub')
    expect(storage).toHaveProperty('lastGc')
    expect(storage.lastRepair).toMatchObject({ units: 2, underReplicated: 2 })
    expect(storage).toMatchObject({ repairBacklog: 2, expiredUnits: 0 })
  }, 180_000)
})
