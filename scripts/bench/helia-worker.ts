/**
 * Helia (IPFS in JS) as the side-by-side reference, one process per role:
 *   --role add   --file F --store D            add F with @helia/unixfs; print { cid, ms, peakRss }
 *   --role serve --file F --store D            add F, then serve it over bitswap until SIGTERM;
 *                                              print { ready, addr, cid, ms }
 *   --role cat   --peer ADDR --cid CID --store D --out O
 *                                              dial ADDR, cat CID over bitswap into O;
 *                                              print { ms, ttfbMs, bytes, peakRss }
 *
 * Nothing leaves the machine: libp2p listens on 127.0.0.1 only, with the
 * same TCP, Noise and Yamux modules Veil uses, identify (bitswap learns who
 * speaks it from identify), no bootstrap list, no peer discovery, no DHT, no
 * delegated routing or HTTP gateways (Helia's `createHelia` would add those;
 * this composes `createHeliaLight` + libp2p + bitswap instead), and the peer
 * is dialled by its multiaddr. Blocks live in a file blockstore under D, as
 * Veil's live in its on-disk store (--memory: Helia's default in-memory
 * blockstore instead). Helia's own defaults everywhere else (1 MiB chunks,
 * raw leaves, balanced DAG of 1024 links, bitswap settings).
 */
import '../../src/platform/index.js'
import { createReadStream, createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { createHeliaLight } from 'helia'
import { withLibp2pLight } from '@helia/libp2p'
import { withBitswap } from '@helia/bitswap'
import { unixfs } from '@helia/unixfs'
import { FsBlockstore } from 'blockstore-fs'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { parseFlags, peakRss } from './lib.js'

const BITSWAP = '/ipfs/bitswap/1.2.0'
const flags = parseFlags(process.argv.slice(2))
const say = (value: unknown): void => { process.stdout.write(JSON.stringify(value) + '\n') }

async function startHelia (storeDir: string) {
  let blockstore: FsBlockstore | undefined
  if (!flags.has('memory')) {
    blockstore = new FsBlockstore(storeDir)
    await blockstore.open()
  }
  const helia = withBitswap(withLibp2pLight(createHeliaLight({ blockstore }), {
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  }))
  await helia.start()
  return helia
}

async function add (helia: Awaited<ReturnType<typeof startHelia>>): Promise<{ cid: CID, ms: number }> {
  const start = performance.now()
  const cid = await unixfs(helia).addByteStream(createReadStream(flags.get('file')!))
  return { cid, ms: performance.now() - start }
}

async function addRole (): Promise<void> {
  const helia = await startHelia(flags.get('store')!)
  const { cid, ms } = await add(helia)
  say({ cid: cid.toString(), ms, peakRss: peakRss() })
  await helia.stop()
}

async function serveRole (): Promise<void> {
  const helia = await startHelia(flags.get('store')!)
  const { cid, ms } = await add(helia)
  say({ ready: true, addr: helia.libp2p.getMultiaddrs()[0]!.toString(), cid: cid.toString(), ms })
  await new Promise<void>(resolve => { process.once('SIGTERM', () => { resolve() }) })
  await helia.stop()
}

async function catRole (): Promise<void> {
  const helia = await startHelia(flags.get('store')!)
  const peer = multiaddr(flags.get('peer')!)
  // Connected and identified before the clock starts, as a Veil fetcher has
  // joined its bootstrap peer (and learned it through identify) before its own.
  const identified = new Promise<void>(resolve => {
    const onIdentify = (event: CustomEvent<{ protocols: string[] }>): void => {
      if (event.detail.protocols.includes(BITSWAP)) { helia.libp2p.removeEventListener('peer:identify', onIdentify); resolve() }
    }
    helia.libp2p.addEventListener('peer:identify', onIdentify)
  })
  await helia.libp2p.dial(peer)
  await identified
  const out = createWriteStream(flags.get('out')!)
  let bytes = 0
  let firstByte = 0
  const start = performance.now()
  for await (const chunk of unixfs(helia).cat(CID.parse(flags.get('cid')!), { providers: [peer] })) {
    if (firstByte === 0) firstByte = performance.now()
    bytes += chunk.byteLength
    if (!out.write(chunk)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  const ms = performance.now() - start
  say({ ms, ttfbMs: firstByte - start, bytes, peakRss: peakRss() })
  await helia.stop()
}

const role = flags.get('role')
if (role === 'add') await addRole()
else if (role === 'serve') await serveRole()
else if (role === 'cat') await catRole()
else {
  console.error('usage: helia-worker --role add|serve|cat …')
  process.exit(2)
}
