/**
 * Nodes never give up on their swarm: a long-running node (keepJoining, as
 * `veil node start` runs) whose only bootstrap peer is down keeps running
 * and joins once that peer is back, and rejoins after the peer restarts; a
 * temporary node (share/get) waits a bounded time and then says what it
 * tried — here, a peer that is not a Veil node.
 */
import { describe, it, expect, onTestFinished } from 'vitest'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { VeilNode, waitFor } from '../../src/node/index.js'
import { NotVeilNodeError } from '../../src/node/index.js'
import { TEST_NODE } from '../helpers/swarm.js'

async function bootstrapNode (privateKey: PrivateKey, port = 0): Promise<VeilNode> {
  const node = await VeilNode.create({ ...TEST_NODE, privateKey, listen: [`/ip4/127.0.0.1/tcp/${port}`] })
  onTestFinished(async () => { await node.stop() })
  await node.start()
  return node
}

function portOf (node: VeilNode): number {
  return Number(node.addresses()[0]!.toString().split('/')[4])
}

function dhtSize (node: VeilNode): number {
  return (node.libp2p.services.dht as unknown as { routingTable: { size: number } }).routingTable.size
}

async function joined (node: VeilNode, timeoutMs: number): Promise<void> {
  const table = (node.libp2p.services.dht as unknown as { routingTable: EventTarget }).routingTable
  await waitFor(table, ['peer:add'], () => dhtSize(node) > 0 && node.libp2p.getConnections().length > 0, timeoutMs, 'the node to join')
}

describe('never giving up on the swarm', () => {
  it('a long-running node whose only bootstrap peer is down keeps running, joins once it is up, and rejoins after it restarts', async () => {
    const key = await generateKeyPair('Ed25519')
    let boot = await bootstrapNode(key)
    const port = portOf(boot)
    const address = boot.addresses()[0]!.toString()
    await boot.stop()

    const node = await VeilNode.create({ ...TEST_NODE, bootstrap: [address], keepJoining: true, bootstrapTimeoutMs: 1_000 })
    onTestFinished(async () => { await node.stop() })
    await node.start() // does not throw
    expect(node.bootstrapKeeper!.status()).toMatchObject({ joined: false, lastError: expect.stringMatching(/could not reach any bootstrap peer/) })

    boot = await bootstrapNode(key, port)
    // Pauses grow 1 s, 2 s, 4 s … (±20 %): the next attempt comes within a few seconds.
    await joined(node, 20_000)
    expect(node.bootstrapKeeper!.status().joined).toBe(true)

    // The bootstrap peer restarts: the node is left alone, and joins again.
    await boot.stop()
    await waitFor(node.libp2p as unknown as EventTarget, ['connection:close'], () => node.libp2p.getConnections().length === 0, 10_000, 'the connection to close')
    boot = await bootstrapNode(key, port)
    await waitFor(node.libp2p as unknown as EventTarget, ['connection:open'], () => node.libp2p.getConnections().length > 0, 30_000, 'the node to reconnect')
    expect(node.bootstrapKeeper!.status().attempts).toBeGreaterThanOrEqual(3)
  }, 90_000)

  it('a temporary node says when the bootstrap peer is not a Veil node (identify listed other protocols)', async () => {
    const stranger = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() }
    })
    onTestFinished(async () => { await stranger.stop() })
    const node = await VeilNode.create({ ...TEST_NODE, bootstrap: [stranger.getMultiaddrs()[0]!.toString()], dhtServer: false, listen: [], bootstrapTimeoutMs: 3_000 })
    onTestFinished(async () => { await node.stop() })
    const started = node.start()
    await expect(started).rejects.toThrow(NotVeilNodeError)
    await expect(started).rejects.toThrow(/is not a Veil node of this swarm: it speaks .*\/ipfs\/id\/1\.0\.0.*not \/veil\/kad\/1\.0\.0/)
  }, 30_000)
})
