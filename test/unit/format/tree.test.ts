import { describe, it, expect } from 'vitest'
import type { CID } from 'multiformats/cid'
import { TreeBuilder, walkBlocks, walkTreeNodes, type TreeShape, type RootNode, type TreeNode, rawCid, treeHeightFor, childCount, V1_SHAPE } from '../../../src/format/index.js'

const SMALL: TreeShape = { segmentBlocks: 4, fanout: 3 }

function blockCids (count: number): CID[] {
  return Array.from({ length: count }, (_, i) => rawCid(Uint8Array.of(i & 0xff, i >> 8)))
}

async function build (count: number, shape: TreeShape): Promise<{ root: RootNode, nodes: Map<string, TreeNode>, cids: CID[], rootCid: CID }> {
  const nodes = new Map<string, TreeNode>()
  const builder = new TreeBuilder(count, async (node, ref) => {
    nodes.set(node.cid.toString(), { height: ref.height, children: ref.children })
  }, shape)
  const cids = blockCids(count)
  for (const cid of cids) await builder.add(cid)
  const top = await builder.finish()
  const root: RootNode = {
    version: 1, commitment: new Uint8Array(32), blockSize: 65536, blockCount: count, height: top.height,
    children: top.children, metaNonce: new Uint8Array(12), sealedMeta: new Uint8Array(16)
  }
  return { root, nodes, cids, rootCid: rawCid(Uint8Array.of(0xff)) }
}

describe('tree shape', () => {
  it('folds up to one segment into the root, then adds levels', () => {
    expect(treeHeightFor(1)).toBe(0)
    expect(treeHeightFor(1024)).toBe(0)
    expect(treeHeightFor(1025)).toBe(1)
    expect(treeHeightFor(1024 * 1024)).toBe(1)
    expect(treeHeightFor(1024 * 1024 + 1)).toBe(2)
    expect(treeHeightFor(4, SMALL)).toBe(0)
    expect(treeHeightFor(5, SMALL)).toBe(1)
    expect(treeHeightFor(12, SMALL)).toBe(1)
    expect(treeHeightFor(13, SMALL)).toBe(2)
    expect(treeHeightFor(37, SMALL)).toBe(3)
  })

  it('keeps a 1 TiB file of 1 MiB blocks to a root of 1024 segments', () => {
    const blocks = 2 ** 40 / 2 ** 20
    expect(treeHeightFor(blocks, V1_SHAPE)).toBe(1)
    expect(childCount(blocks, 1)).toBe(1024)
  })
})

describe('TreeBuilder and walkers', () => {
  for (const count of [1, 3, 4, 5, 12, 13, 36, 37, 50]) {
    it(`builds and walks a canonical tree of ${count} blocks`, async () => {
      const { root, nodes, cids, rootCid } = await build(count, SMALL)
      const load = async (cid: CID, height: number): Promise<TreeNode> => {
        const node = nodes.get(cid.toString())
        if (node === undefined || node.height !== height) throw new Error('missing node')
        return node
      }
      const walked = []
      for await (const ref of walkBlocks(rootCid, root, load, 0, count, { shape: SMALL })) walked.push(ref)
      expect(walked.map(r => r.cid.toString())).toEqual(cids.map(c => c.toString()))
      expect(walked.map(r => r.index)).toEqual(cids.map((_, i) => i))
      expect(walked.filter(r => r.last).map(r => r.index)).toEqual([count - 1])
      if (root.height === 0) expect(walked.every(r => r.segment.equals(rootCid))).toBe(true)

      // A sub-range loads only what covers it and yields exactly that range.
      const from = Math.floor(count / 3)
      const to = Math.min(count, from + 5)
      const part = []
      for await (const ref of walkBlocks(rootCid, root, load, from, to, { shape: SMALL })) part.push(ref.index)
      expect(part).toEqual(Array.from({ length: to - from }, (_, i) => from + i))

      // Every inner node is visited once, segments list their blocks in order.
      const inner = []
      for await (const node of walkTreeNodes(root, load, { shape: SMALL })) inner.push(node)
      expect(inner.length).toBe(nodes.size)
      const segmentBlocks = inner.filter(n => n.height === 0).flatMap(n => n.children.map(c => c.toString()))
      if (root.height > 0) expect(segmentBlocks).toEqual(cids.map(c => c.toString()))
      for (const node of inner.filter(n => n.height === 0)) {
        expect(node.children[0]!.equals(cids[node.firstBlock]!)).toBe(true)
      }
    })
  }

  it('rejects a node that does not fit the canonical shape', async () => {
    const { root, nodes, rootCid } = await build(13, SMALL)
    const load = async (cid: CID, height: number): Promise<TreeNode> => {
      const node = nodes.get(cid.toString())!
      // Drop one child of every segment: the walker must notice.
      return height === 0 ? { height, children: node.children.slice(1) } : node
    }
    await expect(async () => {
      for await (const _ of walkBlocks(rootCid, root, load, 0, 13, { shape: SMALL })) { /* drain */ }
    }).rejects.toMatchObject({ name: 'ShareStructureError' })
  })

  it('refuses more or fewer blocks than announced', async () => {
    const builder = new TreeBuilder(2, async () => {}, SMALL)
    await builder.add(blockCids(1)[0]!)
    await expect(builder.finish()).rejects.toMatchObject({ name: 'ShareStructureError' })
    await builder.add(blockCids(1)[0]!)
    await expect(builder.add(blockCids(1)[0]!)).rejects.toMatchObject({ name: 'ShareStructureError' })
  })
})
