import { describe, it, expect, onTestFinished } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
import type { CID } from 'multiformats/cid'
import { MemoryBlockStore } from '../../../src/blockstore/index.js'
import { dagCborCid } from '../../../src/format/index.js'
import { nameCidFromPublicKey } from '../../../src/link/index.js'
import { Gateway, type RequestLogEntry } from '../../../src/gateway/index.js'

const NAME = nameCidFromPublicKey(new Uint8Array(32).fill(7))
const OTHER = nameCidFromPublicKey(new Uint8Array(32).fill(8))
const RECORD = new Uint8Array(257).fill(3)

async function setup (): Promise<{ url: string, log: RequestLogEntry[], lookups: string[] }> {
  const log: RequestLogEntry[] = []
  const lookups: string[] = []
  const gateway = new Gateway({
    store: new MemoryBlockStore(),
    fetcher: () => ({ get: async () => { throw new Error('no swarm') } }),
    names: async (name: CID) => { lookups.push(name.toString()); return name.equals(NAME) ? RECORD : undefined },
    logger: defaultLogger()
  }, { onRequest: entry => log.push(entry) })
  await gateway.start()
  onTestFinished(async () => { await gateway.stop() })
  return { url: gateway.url!.replace(/\/$/, ''), log, lookups }
}

describe('gateway: mutable links', () => {
  it('serves a name\'s record as opaque bytes (the page checks and opens it), once per 30 s, and 404 for a name without one', async () => {
    const { url, log, lookups } = await setup()
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${url}/name/${NAME.toString()}`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('application/vnd.veil.name-record')
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(RECORD)
    }
    expect(lookups).toEqual([NAME.toString()])
    expect((await fetch(`${url}/name/${OTHER.toString()}`)).status).toBe(404)
    expect(log.map(entry => entry.path)).toContain(`/name/${NAME.toString()}`)
  })

  it('refuses what is not a name, and serves the page for a name as for a share root', async () => {
    const { url } = await setup()
    expect((await fetch(`${url}/name/${dagCborCid(Uint8Array.of(1)).toString()}`)).status).toBe(400)
    expect((await fetch(`${url}/name/junk`)).status).toBe(400)
    const page = await fetch(`${url}/v/${NAME.toString()}`)
    expect(page.status).toBe(200)
    // WebAssembly (Argon2id for password links) may compile; nothing may eval.
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self' 'wasm-unsafe-eval';")
    expect(page.headers.get('content-security-policy')).not.toContain("'unsafe-eval'")
  })
})
