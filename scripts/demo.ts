/**
 * `npm run demo`: Veil's main job, end to end, with the built CLI exactly as
 * a user runs it. On 127.0.0.1 only, from no prior state:
 *
 *   1. create a private swarm key;
 *   2. start 5 storage nodes in that swarm;
 *   3. make a 64 MiB random file and a small folder (nested folder, empty file);
 *   4. share both from a light client, which then exits;
 *   5. stop one storage node that holds copies;
 *   6. fetch both links from a brand-new client and compare SHA-256;
 *   7. print the links, the timings and a one-line verdict.
 *
 * Everything it starts (processes, temp folders) is cleaned up on the way
 * out, Ctrl-C included. Exit code 0 on PASS, 1 on FAIL.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sha256File, treeDigest, writeRandomFile } from './file-digest.js'

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))
const MiB = 1024 * 1024
const FILE_SIZE = 64 * MiB
const STORAGE_NODES = 5
const REPLICAS = 3
const STEP_TIMEOUT_MS = 90_000

/** The user's own Veil settings must not leak into the demo. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VEIL_')))

interface Daemon { name: string, repo: string, child: ChildProcess, address: string, exited: Promise<number | null> }
interface Result { code: number | null, stdout: string, stderr: string }

const daemons: Daemon[] = []
/** One-shot CLI runs still going (stopped too on Ctrl-C). */
const running = new Map<ChildProcess, Promise<number | null>>()
let root: string | undefined

async function main (): Promise<boolean> {
  const t0 = Date.now()
  root = await mkdtemp(join(tmpdir(), 'veil-demo-'))
  console.log(`Veil demo: a private swarm of ${STORAGE_NODES} storage nodes on 127.0.0.1 (work folder ${root})\n`)

  // 1. The swarm key.
  const key = join(root, 'swarm.key')
  const created = json<{ swarmId: string }>(await veil(['swarm', 'create', '-o', key, '--json']))
  step(1, `private swarm ${created.swarmId} created`)

  // 2. Storage nodes: the first is everyone's bootstrap peer.
  let t = Date.now()
  const first = await startDaemon('s1', key, [])
  const rest = await Promise.all(Array.from({ length: STORAGE_NODES - 1 }, async (_, i) => await startDaemon(`s${i + 2}`, key, [first.address])))
  step(2, `${1 + rest.length} storage nodes running (1 GiB each) in ${secs(t)}`)

  // 3. Test data.
  t = Date.now()
  const bigFile = join(root, 'data', 'big.bin')
  const folder = join(root, 'data', 'album')
  await mkdir(join(folder, 'nested', 'deeper'), { recursive: true })
  const fileDigest = await writeRandomFile(bigFile, FILE_SIZE)
  await writeFile(join(folder, 'notes.txt'), 'Veil demo: these files travel encrypted; storage nodes only see ciphertext.\n')
  await writeFile(join(folder, 'empty.txt'), '')
  await writeRandomFile(join(folder, 'photo.jpg'), 1536 * 1024)
  await writeRandomFile(join(folder, 'nested', 'deeper', 'data.bin'), 200 * 1024)
  await writeFile(join(folder, 'nested', 'readme.md'), '# nested\n')
  const folderDigest = await treeDigest(folder)
  step(3, `made a 64 MiB random file and a folder of ${Object.values(folderDigest).filter(v => v !== 'dir').length} files in ${secs(t)}`)

  // 4. A light client shares both, then exits.
  const light = join(root, 'light')
  const net = ['--swarm-key', key, '--bootstrap', first.address]
  t = Date.now()
  const fileShare = json<ShareJson>(await veil(['--repo', light, 'share', bigFile, '--replicas', String(REPLICAS), '--json', ...net]))
  const shareFileMs = Date.now() - t
  t = Date.now()
  const folderShare = json<ShareJson>(await veil(['--repo', light, 'share', folder, '--replicas', String(REPLICAS), '--json', ...net]))
  const shareFolderMs = Date.now() - t
  step(4, 'a light client shared both and exited')
  detail(`file   ${fmtMiB(fileShare.size)} → ${fileShare.replicas} of ${REPLICAS} copies in ${fmtMs(shareFileMs)} (${mbps(fileShare.size, shareFileMs)} MiB/s, CLI start included)`)
  detail(`folder ${folderShare.files} files → ${folderShare.replicas} of ${REPLICAS} copies in ${fmtMs(shareFolderMs)}`)

  // 5. One storage node that holds copies goes away.
  const victim = await pickHolder()
  await stopDaemon(victim)
  step(5, `stopped storage node ${victim.name} (it held copies)`)

  // 6. A brand-new client fetches both.
  const fresh = join(root, 'fresh')
  const out = join(root, 'out')
  await mkdir(out)
  const survivors = daemons.filter(d => d !== victim).map(d => d.address)
  const freshNet = ['--swarm-key', key, '--bootstrap', survivors.join(',')]
  t = Date.now()
  await veil(['--repo', fresh, 'get', fileShare.link, '-o', join(out, 'big.bin'), '--json', ...freshNet])
  const getFileMs = Date.now() - t
  t = Date.now()
  await veil(['--repo', fresh, 'get', folderShare.link, '-o', join(out, 'album'), '--json', ...freshNet])
  const getFolderMs = Date.now() - t
  const fileOk = await sha256File(join(out, 'big.bin')) === fileDigest
  const gotFolder = await treeDigest(join(out, 'album'))
  const folderOk = JSON.stringify(gotFolder) === JSON.stringify(folderDigest)
  step(6, 'a brand-new client fetched both by link')
  detail(`file   ${fmtMiB(FILE_SIZE)} in ${fmtMs(getFileMs)} (${mbps(FILE_SIZE, getFileMs)} MiB/s, CLI start included): SHA-256 ${fileOk ? 'matches' : 'DIFFERS'}`)
  detail(`folder in ${fmtMs(getFolderMs)}: ${folderOk ? 'every file and folder matches' : 'CONTENT DIFFERS'}`)

  console.log('\nLinks (anyone in the swarm with a link can fetch it):')
  console.log(`  file    ${fileShare.link}`)
  console.log(`  folder  ${folderShare.link}\n`)

  const copies = Math.min(fileShare.replicas, folderShare.replicas)
  const ok = fileOk && folderOk && copies >= 1
  const total = secs(t0)
  if (ok) {
    console.log(`PASS: 64 MiB file and folder shared by a light client that left, fetched by a new client after a storage node stopped, SHA-256 identical (${copies} copies placed, ${total} total)`)
  } else {
    const why = [!fileOk ? 'file content differs' : '', !folderOk ? 'folder content differs' : '', copies < 1 ? 'no copies placed' : ''].filter(Boolean).join(', ')
    console.log(`FAIL: ${why} (${total} total)`)
  }
  return ok
}

interface ShareJson { link: string, size: number, replicas: number, files: number }

/** Run the CLI to completion; a non-zero exit is a failure that shows the CLI's own error. */
async function veil (args: string[]): Promise<Result> {
  const child = spawn(process.execPath, [CLI, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>(resolve => child.on('exit', c => { resolve(c) }))
  running.set(child, exited)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, STEP_TIMEOUT_MS)
  const code = await exited
  clearTimeout(timer)
  running.delete(child)
  if (code !== 0) throw new Error(`\`veil ${args.slice(0, 3).join(' ')} …\` exited with ${code}: ${stderr.trim() || '(no message)'}`)
  return { code, stdout, stderr }
}

/** Start `veil node start` and wait for its first `listening` line. */
async function startDaemon (name: string, key: string, bootstrap: string[]): Promise<Daemon> {
  const repo = join(root!, name)
  const args = ['--repo', repo, 'node', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--storage', '1GiB', '--swarm-key', key]
  if (bootstrap.length > 0) args.push('--bootstrap', bootstrap.join(','))
  const child = spawn(process.execPath, [CLI, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>(resolve => child.on('exit', code => { resolve(code) }))
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const daemon: Daemon = { name, repo, child, address: '', exited }
  daemons.push(daemon)
  daemon.address = await new Promise<string>((resolve, reject) => {
    let pending = ''
    const timer = setTimeout(() => { reject(new Error(`storage node ${name} did not start within ${STEP_TIMEOUT_MS / 1000} s`)) }, STEP_TIMEOUT_MS)
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      pending += s
      const match = /^listening (\S+)$/m.exec(pending)
      if (match !== null) { clearTimeout(timer); resolve(match[1]!) }
    })
    void exited.then(code => { clearTimeout(timer); reject(new Error(`storage node ${name} exited with ${code}: ${stderr.trim()}`)) })
  })
  return daemon
}

async function stopDaemon (daemon: Daemon, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) return
  daemon.child.kill(signal)
  const timer = setTimeout(() => { daemon.child.kill('SIGKILL') }, 15_000)
  await daemon.exited
  clearTimeout(timer)
}

/** The running storage node that holds the most data (so stopping it costs copies). */
async function pickHolder (): Promise<Daemon> {
  const used = await Promise.all(daemons.map(async d => {
    const status = json<{ storage?: { used: number } }>(await veil(['--repo', d.repo, 'status', '--json']))
    return { daemon: d, used: status.storage?.used ?? 0 }
  }))
  used.sort((a, b) => b.used - a.used)
  return used[0]!.daemon
}

function json<T> (result: Result): T {
  return JSON.parse(result.stdout) as T
}

function step (n: number, text: string): void { console.log(`[${n}/6] ${text}`) }
function detail (text: string): void { console.log(`      ${text}`) }
function secs (since: number): string { return `${((Date.now() - since) / 1000).toFixed(1)} s` }
function fmtMs (ms: number): string { return `${(ms / 1000).toFixed(1)} s` }
function fmtMiB (n: number): string { return `${(n / MiB).toFixed(1)} MiB` }
function mbps (size: number, ms: number): string { return (size / MiB / (ms / 1000)).toFixed(1) }

async function cleanup (): Promise<void> {
  await Promise.all([...running].map(async ([child, exited]) => {
    child.kill('SIGTERM')
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 15_000)
    await exited
    clearTimeout(timer)
  }))
  await Promise.all(daemons.map(async d => { await stopDaemon(d).catch(() => {}) }))
  if (root !== undefined) await rm(root, { recursive: true, force: true }).catch(() => {})
  root = undefined
}

let interrupted = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return
    interrupted = true
    console.log(`\nFAIL: interrupted (${signal}); cleaning up`)
    void cleanup().finally(() => process.exit(1))
  })
}

let passed = false
try {
  passed = await main()
} catch (err) {
  if (!interrupted) console.log(`\nFAIL: ${(err as Error).message}`)
} finally {
  if (!interrupted) await cleanup()
}
if (!interrupted) process.exit(passed ? 0 : 1)
