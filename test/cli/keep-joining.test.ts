/**
 * `veil node start` never exits because its bootstrap peer is away: it
 * starts, says it could not join yet, keeps running, and stops cleanly.
 */
import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { startDaemon } from './helpers.js'
import { tempDir } from '../helpers/files.js'

/** A bootstrap address where nothing listens (port 9 on loopback: discard, never served here). */
const NOWHERE = '/ip4/127.0.0.1/tcp/9/p2p/12D3KooWKhnLZ2pr8viYTYy5h9wj8rNR2PGxRKWAJ71rpTvxceNZ'

describe('a daemon whose bootstrap peer is down', () => {
  it('keeps running and says it keeps trying', async () => {
    const dir = await tempDir()
    const daemon = await startDaemon(join(dir, 'repo'), ['--storage', '64MiB', '--bootstrap', NOWHERE, '--join-timeout', '1s'])
    await daemon.proc.waitFor(/could not join the swarm yet \(could not reach any bootstrap peer.*\); the node keeps running and tries again in the background/, 20_000, 'stderr')
    expect(daemon.proc.running).toBe(true)
    const result = await daemon.proc.stop('SIGTERM')
    expect(result.code).toBe(0)
  }, 60_000)
})
