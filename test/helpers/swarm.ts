import { onTestFinished } from 'vitest'
import { VeilNode, type VeilNodeInit } from '../../src/node/index.js'

/** Settings that keep a test swarm quick: short timeouts, small lookups. */
export const TEST_NODE: VeilNodeInit = {
  fetch: { lookupTimeoutMs: 5_000 },
  bootstrapTimeoutMs: 10_000
}

/** Start a node on 127.0.0.1, port 0; it is stopped when the test finishes. */
export async function startNode (init: VeilNodeInit = {}): Promise<VeilNode> {
  const node = await VeilNode.create({ ...TEST_NODE, ...init, fetch: { ...TEST_NODE.fetch, ...init.fetch } })
  onTestFinished(async () => { await node.stop() })
  await node.start()
  return node
}

export function addressOf (node: VeilNode): string {
  const addr = node.addresses()[0]
  if (addr === undefined) throw new Error('node has no listen address')
  return addr.toString()
}

/**
 * A swarm of `count` nodes that all bootstrap from the first (the
 * bootstrap node), started in order.
 */
export async function startSwarm (count: number, init: VeilNodeInit = {}): Promise<VeilNode[]> {
  const bootstrap = await startNode(init)
  const nodes = [bootstrap]
  for (let i = 1; i < count; i++) nodes.push(await startNode({ ...init, bootstrap: [addressOf(bootstrap)] }))
  return nodes
}
