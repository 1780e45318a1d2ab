/**
 * `veil peers` lists where each peer listens (its identify message), not the
 * ephemeral port its connection came from, and says how each connection
 * runs (direct or relayed).
 */
import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { startDaemon, veil } from './helpers.js'
import { tempDir } from '../helpers/files.js'

interface Peers { peers: Array<{ id: string, addresses: string[], connections: Array<{ address: string, relayed: boolean, direction: string }> }> }

describe('veil peers', () => {
  it('shows a peer\'s listen address from identify, and its connection apart', async () => {
    const dir = await tempDir()
    const a = await startDaemon(join(dir, 'a'))
    const b = await startDaemon(join(dir, 'b'), ['--bootstrap', a.address])
    const bId = b.address.split('/p2p/')[1]!
    const bListen = b.address.split('/p2p/')[0]!
    // Until identify has run, a peer's connection address is all a node knows of it: ask again (bounded).
    let peer: Peers['peers'][number] | undefined
    for (let i = 0; i < 20 && peer?.addresses.some(addr => addr.startsWith(bListen)) !== true; i++) {
      const result = await veil(['--repo', join(dir, 'a'), 'peers', '--json'])
      expect(result.code, result.stderr).toBe(0)
      peer = (JSON.parse(result.stdout) as Peers).peers.find(p => p.id === bId)
    }
    expect(peer).toBeDefined()
    expect(peer!.addresses.some(addr => addr.startsWith(bListen))).toBe(true)
    // b dialled a: the connection came from an ephemeral port, which is not where b listens.
    expect(peer!.connections).toEqual([expect.objectContaining({ relayed: false, direction: 'inbound' })])
    expect(peer!.connections[0]!.address.startsWith(bListen)).toBe(false)
    const text = await veil(['--repo', join(dir, 'a'), 'peers'])
    expect(text.stdout).toContain(`${bId} ${bListen}`)
  }, 60_000)
})
