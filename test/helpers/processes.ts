/**
 * Veil nodes in their own processes (dist/scripts/testnet/node.js), for
 * tests that kill one with SIGKILL or inspect its store after it exits.
 * Every process started here is killed when its test finishes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { LevelBlockStore } from '../../src/blockstore/index.js'

const NODE_SCRIPT = join(import.meta.dirname, '../../dist/scripts/testnet/node.js')

export interface NodeProcessOptions {
  /** Make it a storage node giving this many bytes. */
  storage?: number
  bootstrap?: string
  leaseMs?: number
  orphanGraceMs?: number
  repairEveryMs?: number
  collectEveryMs?: number
}

export interface NodeProcess {
  child: ChildProcess
  repo: string
  addr: string
  peerId: PeerId
  /** Resolves once the process has exited (for any reason). */
  exited: Promise<void>
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>
}

/** Start a node process on `repo`; resolves once it listens. */
export async function spawnNode (repo: string, options: NodeProcessOptions = {}): Promise<NodeProcess> {
  await access(NODE_SCRIPT).catch(() => { throw new Error('dist/ is missing: run `npm run build` (npm test does it first)') })
  const args = [NODE_SCRIPT, '--repo', repo]
  if (options.storage !== undefined) args.push('--storage', String(options.storage))
  if (options.bootstrap !== undefined) args.push('--bootstrap', options.bootstrap)
  if (options.leaseMs !== undefined) args.push('--lease', String(options.leaseMs))
  if (options.orphanGraceMs !== undefined) args.push('--orphan-grace', String(options.orphanGraceMs))
  if (options.repairEveryMs !== undefined) args.push('--repair-every', String(options.repairEveryMs))
  if (options.collectEveryMs !== undefined) args.push('--collect-every', String(options.collectEveryMs))
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => { resolve() })
  })
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve)
    child.once('exit', code => { reject(new Error(`the node process exited before it was ready (${code})`)) })
  })
  const ready = JSON.parse(line) as { addr: string, peerId: string }
  return {
    child,
    repo,
    addr: ready.addr,
    peerId: peerIdFromString(ready.peerId),
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    }
  }
}

/** Open a stopped node's block store directly (to check what is on its disk). */
export async function openStoreOf (repo: string): Promise<LevelBlockStore> {
  return await LevelBlockStore.open(join(repo, 'store'))
}
