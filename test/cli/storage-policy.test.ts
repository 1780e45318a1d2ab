import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { tempDir, writeRandomFile } from '../helpers/files.js'
import { errorLine, startDaemon, veil, LOOPBACK } from './helpers.js'

const KiB = 1024

describe('a storage node\'s policy for pushers', () => {
  it('--per-peer caps what one pusher may store, status shows who uses what, and bad policies are usage errors', async () => {
    const dir = await tempDir()
    const bad = await veil(['--repo', join(dir, 'bad'), 'node', 'start', '--listen', LOOPBACK, '--storage', '100MiB', '--accept-from', 'nobody'])
    expect(bad.code).toBe(2)
    expect(errorLine(bad)).toMatch(/--accept-from must be "any", "swarm" or peer ids/)
    const swarmOnly = await veil(['--repo', join(dir, 'bad'), 'node', 'start', '--listen', LOOPBACK, '--storage', '100MiB', '--accept-from', 'swarm'])
    expect(swarmOnly.code).toBe(1)
    expect(errorLine(swarmOnly)).toMatch(/needs a private swarm/)

    const storage = await startDaemon(join(dir, 's'), ['--storage', '100MiB', '--per-peer', '1MiB'])
    const light = join(dir, 'light')
    await writeRandomFile(join(dir, 'big.bin'), 2 * 1024 * KiB)
    const big = await veil(['--repo', light, 'share', join(dir, 'big.bin'), '--replicas', '1', '--bootstrap', storage.address])
    expect(big.code).toBe(1)
    expect(big.stderr).toMatch(/PeerQuota|no storage node took/)
    await writeRandomFile(join(dir, 'small.bin'), 300 * KiB)
    const small = await veil(['--repo', light, 'share', join(dir, 'small.bin'), '--replicas', '1', '--json', '--bootstrap', storage.address])
    expect(small.code, small.stderr).toBe(0)
    const lightId = (JSON.parse((await veil(['--repo', light, 'status', '--json'])).stdout) as { peerId: string }).peerId
    const status = JSON.parse((await veil(['--repo', storage.repo, 'status', '--json'])).stdout) as { storage: { perPeer: number, topPeers: Array<{ peer: string, bytes: number }> } }
    expect(status.storage.perPeer).toBe(1024 * KiB)
    expect(status.storage.topPeers).toEqual([{ peer: lightId, bytes: expect.any(Number) }])
    expect(status.storage.topPeers[0]!.bytes).toBeGreaterThanOrEqual(300 * KiB)
    expect((await veil(['--repo', storage.repo, 'status'])).stdout).toMatch(/pushers\s+each may use 1(\.0)? MiB; most: 12D3KooW\S+ 3\d\d(\.\d)? KiB/)
  }, 120_000)
})
