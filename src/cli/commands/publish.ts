/**
 * `veil publish <path> [--as <name>]`: share a file or folder and point a
 * mutable link at it. The first publication under a name makes its key
 * (`<repo>/keys/<name>`); publishing again under the same name updates the
 * link, which stays the same: `veil://<name>#<key>`, the last line printed.
 */
import { basename } from 'node:path'
import { stat } from 'node:fs/promises'
import type { Command } from 'commander'
import { InputError } from '../../errors.js'
import type { PublishSummary } from '../../control/index.js'
import { absolute } from '../config.js'
import { NoStorageNodeError, UsageError } from '../errors.js'
import { examples, replicasArg, withNetworkOptions, withProgressOptions, type ProgressFlags } from '../options.js'
import { printable } from '../output.js'
import { withSession, type Context, type NetworkFlags, type Runtime } from '../session.js'
import { formatSize } from '../units.js'
import { humanTime } from './renew.js'

interface PublishFlags extends NetworkFlags, ProgressFlags {
  as?: string
  replicas?: number
}

export function registerPublish (program: Command, runtime: Runtime): void {
  withProgressOptions(withNetworkOptions(program
    .command('publish')
    .description('share a file or folder and point a mutable link at it; publishing again under the same name updates the link')
    .argument('<path>', 'the file or folder to publish')
    .option('--as <name>', 'the link\'s name in this repo (its key is keys/<name>); default: the file or folder\'s name')
    .option('--replicas <n>', 'copies to place on storage nodes (default: config, 3)', replicasArg)))
    .addHelpText('after', examples('veil publish ./site --as site', 'veil publish ./notes.md          # again later: same link, new version', 'veil publish ./docs --json'))
    .action(async (path: string, flags: PublishFlags, cmd: Command) => { await publish(runtime.context(cmd), path, flags) })
}

async function publish (ctx: Context, input: string, flags: PublishFlags): Promise<void> {
  const path = absolute(input)
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(err.code === 'ENOENT' ? `no such file or folder: ${input}` : `cannot read ${input}: ${err.message}`, { cause: err })
  })
  if (!info.isFile() && !info.isDirectory()) throw new InputError(`${input} is not a regular file or folder`)
  const [{ publishOp }, { checkKeyName }, { Progress }] = await Promise.all([import('../../daemon/index.js'), import('../../names/index.js'), import('../progress.js')])
  const name = flags.as ?? basename(path)
  try {
    checkKeyName(name)
  } catch (err) {
    throw new UsageError(flags.as === undefined ? `"${printable(name)}" cannot name a link: give it one with --as <name> (letters, digits, ".", "_", "-")` : (err as Error).message)
  }
  const progress = new Progress({ mode: Progress.mode(ctx.json, flags), verb: 'sealing', name: basename(path) })
  let viaDaemon = false
  let summary: PublishSummary
  try {
    summary = await withSession(ctx, flags, async (session) => {
      const replicas = flags.replicas ?? session.settings.replicas
      if (session.kind === 'daemon') {
        viaDaemon = true
        return await session.client.publish({ path, name, replicas }, { signal: ctx.signal, onProgress: progress.onProgress })
      }
      if (replicas === 0) throw new UsageError('--replicas 0 keeps the only copy on this machine, which needs a running node: start `veil node start` first, or ask for 1 or more copies')
      try {
        return await publishOp(session.node, { path, name, replicas, keepLocal: false }, { signal: ctx.signal, onProgress: progress.onProgress })
      } catch (err) {
        if ((err as Error).name === 'NothingToPublishError') throw new NoStorageNodeError()
        throw err
      }
    })
    progress.stop(true)
  } finally {
    progress.stop()
  }
  const share = summary.share
  if (share.replicas < share.replicasWanted) ctx.out.warn(`only ${share.replicas} of ${share.replicasWanted} copies were placed: start more storage nodes to make it safer`)
  ctx.out.result(summary, () => {
    const what = share.kind === 'folder' ? `folder ${printable(share.name)} (${share.files} files, ${formatSize(share.size)})` : `${printable(share.name)} (${formatSize(share.size)})`
    ctx.out.line(`published ${what} as "${summary.name}", version ${summary.sequence}${summary.created ? ' (a new link)' : ''}: ${share.replicas} of ${share.replicasWanted} copies on storage nodes`)
    ctx.out.line(`record valid until ${humanTime(summary.validUntil)}, kept by ${summary.recordHolders} storage nodes and ${summary.dhtPeers} DHT nodes; ${viaDaemon ? 'your running node re-signs it' : 'run `veil node start` for this repo (or publish again) to keep it going past that'}`)
  })
  ctx.out.line(summary.link)
}
