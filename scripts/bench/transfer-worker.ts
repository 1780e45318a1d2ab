/**
 * One process of the transfer benchmark. Roles:
 *   --role raw-recv  --bytes N                 listen; read N bytes from one libp2p stream; report MB/s
 *   --role raw-send  --to ADDR --bytes N       dial ADDR and push N bytes on one libp2p stream
 *   --role tcp-recv  --bytes N                 the same over a bare TCP socket (node:net), no libp2p
 *   --role tcp-send  --to ADDR --bytes N
 *   --role holder    --file F | --hold CID [--bootstrap ADDR] [--repo DIR]
 *                                              share F (or copy CID), then serve until SIGTERM
 *   --role fetch     --bootstrap ADDR --link L --out O [--window W]
 *                                              fetch L to O; report time, time to first byte, peak RSS
 * holder and fetch also take --swarm-key HEX (a private swarm: pnet on every
 * connection) and --listen MULTIADDR (default 127.0.0.1, port 0; in a
 * network namespace, the host's own address).
 * Prints JSON lines on stdout (the last one is the result).
 */
import '../../src/platform/index.js'
import { createLibp2p } from 'libp2p'
import { multiaddr } from '@multiformats/multiaddr'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { CID } from 'multiformats/cid'
import { Writable } from 'node:stream'
import { createConnection, createServer } from 'node:net'
import { VeilNode, type VeilNodeInit } from '../../src/node/index.js'
import type { ExportProgressEvents } from '../../src/index.js'
import { parseFlags, peakRss, sampleMemory } from './lib.js'
import { profileIfAsked } from './profile.js'

const RAW_PROTOCOL = '/veil-bench/raw/1.0.0'
const flags = parseFlags(process.argv.slice(2))
const say = (value: unknown): void => { process.stdout.write(JSON.stringify(value) + '\n') }

async function rawNode (): Promise<Awaited<ReturnType<typeof createLibp2p>>> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}

async function rawRecv (): Promise<void> {
  const bytes = Number(flags.get('bytes'))
  const node = await rawNode()
  const done = Promise.withResolvers<{ ms: number }>()
  await node.handle(RAW_PROTOCOL, async (stream) => {
    let received = 0
    let start = 0
    for await (const chunk of stream) {
      if (start === 0) start = performance.now()
      received += chunk.byteLength
      if (received >= bytes) break
    }
    done.resolve({ ms: performance.now() - start })
    await stream.close().catch(() => {})
  })
  say({ ready: true, addr: node.getMultiaddrs()[0]!.toString() })
  const { ms } = await done.promise
  say({ ms, bytes, peakRss: peakRss() })
  await node.stop()
}

async function rawSend (): Promise<void> {
  const bytes = Number(flags.get('bytes'))
  const node = await rawNode()
  const stream = await node.dialProtocol(multiaddr(flags.get('to')!), RAW_PROTOCOL)
  const chunk = new Uint8Array(256 * 1024).fill(7)
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!stream.send(chunk)) await stream.onDrain()
  }
  await stream.close()
  say({ sent: bytes })
  await node.stop()
}

/** The machine's ceiling: one TCP connection on loopback, no encryption, no multiplexing. */
async function tcpRecv (): Promise<void> {
  const bytes = Number(flags.get('bytes'))
  const done = Promise.withResolvers<{ ms: number }>()
  const server = createServer(socket => {
    let received = 0
    let start = 0
    socket.on('data', (chunk: Buffer) => {
      if (start === 0) start = performance.now()
      received += chunk.byteLength
      if (received >= bytes) { done.resolve({ ms: performance.now() - start }); socket.end() }
    })
    socket.on('error', err => { done.reject(err) })
  })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  const { port } = server.address() as { port: number }
  say({ ready: true, addr: `127.0.0.1:${port}` })
  const { ms } = await done.promise
  say({ ms, bytes, peakRss: peakRss() })
  server.close()
}

async function tcpSend (): Promise<void> {
  const bytes = Number(flags.get('bytes'))
  const [host, port] = flags.get('to')!.split(':')
  const socket = createConnection({ host: host!, port: Number(port) })
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve).once('error', reject) })
  const chunk = new Uint8Array(256 * 1024).fill(7)
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!socket.write(chunk)) await new Promise(resolve => socket.once('drain', resolve))
  }
  await new Promise<void>(resolve => { socket.end(resolve) })
  say({ sent: bytes })
}

/** The private swarm (--swarm-key) and listen address (--listen) a holder or fetcher was given. */
function network (): Pick<VeilNodeInit, 'swarm' | 'listen'> {
  const key = flags.get('swarm-key')
  const listen = flags.get('listen')
  return {
    ...(key === undefined ? {} : { swarm: { key: Uint8Array.from(Buffer.from(key, 'hex')) } }),
    ...(listen === undefined ? {} : { listen: [listen] })
  }
}

async function holder (): Promise<void> {
  const bootstrap = flags.get('bootstrap')
  const node = await VeilNode.create({ repo: flags.get('repo'), bootstrap: bootstrap === undefined ? [] : [bootstrap], ...network() })
  await node.start()
  let link: string | undefined
  const start = performance.now()
  // Kept here and served from here: no storage nodes to place copies on.
  if (flags.has('file')) link = (await node.share(flags.get('file')!, { replicas: 0 })).link
  if (flags.has('hold')) await node.hold(CID.parse(flags.get('hold')!))
  // Profiled (with --profile) from here: serving, not its own share.
  const stopProfile = await profileIfAsked(`holder-${process.pid}`)
  say({ ready: true, addr: node.addresses()[0]!.toString(), link, ms: performance.now() - start })
  await new Promise<void>(resolve => { process.once('SIGTERM', () => { resolve() }) })
  await stopProfile()
  await node.stop()
}

async function fetch (): Promise<void> {
  const node = await VeilNode.create({ bootstrap: [flags.get('bootstrap')!], dhtServer: false, ...network() })
  await node.start()
  const window = flags.has('window') ? Number(flags.get('window')) : undefined
  let firstByte = 0
  const start = performance.now()
  const onProgress = (event: ExportProgressEvents): void => {
    if (firstByte === 0 && event.type === 'veil:export:block') firstByte = performance.now()
  }
  // --out null: discard the bytes (measures the network side alone).
  const output = flags.get('out') === 'null' ? new Writable({ write (_chunk, _enc, done) { done() } }) : flags.get('out')!
  const stopProfile = await profileIfAsked(`fetcher-${process.pid}`)
  const stopSampling = sampleMemory()
  const result = await node.get(flags.get('link')!, { output, window, onProgress, overwrite: true })
  const ms = performance.now() - start
  const memory = stopSampling()
  await stopProfile()
  say({ ms, ttfbMs: firstByte - start, bytes: result.size, peakRss: peakRss(), memory, perPeer: Object.fromEntries(result.perPeer) })
  await node.stop()
}

const role = flags.get('role')
if (role === 'raw-recv') await rawRecv()
else if (role === 'raw-send') await rawSend()
else if (role === 'tcp-recv') await tcpRecv()
else if (role === 'tcp-send') await tcpSend()
else if (role === 'holder') await holder()
else if (role === 'fetch') await fetch()
else {
  console.error('usage: transfer-worker --role raw-recv|raw-send|tcp-recv|tcp-send|holder|fetch …')
  process.exit(2)
}
