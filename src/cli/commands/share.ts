/**
 * `veil share <path>`: seal a file or folder, place copies on storage nodes
 * and print its link (the last line of stdout). Through a running daemon the
 * daemon also keeps and serves it; as a light client (no daemon) the local
 * copy is dropped once every unit has its copies, so the sharer may leave.
 */
import { lstat, readdir, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Command } from 'commander'
import { InputError } from '../../errors.js'
import type { ShareSummary } from '../../daemon/index.js'
import { absolute, formatSize } from '../config.js'
import { NoStorageNodeError, UsageError } from '../errors.js'
import { examples, replicasArg, withNetworkOptions, withProgressOptions, type ProgressFlags } from '../options.js'
import { printable } from '../output.js'
import { convergenceSecret } from '../repo.js'
import { withSession, type Context, type NetworkFlags } from '../session.js'
import type { Runtime } from '../program.js'

interface ShareFlags extends NetworkFlags, ProgressFlags {
  replicas?: number
  convergent?: boolean
}

export function registerShare (program: Command, runtime: Runtime): void {
  withProgressOptions(withNetworkOptions(program
    .command('share')
    .description('share a file or folder; prints its link as the last line')
    .argument('<path>', 'the file or folder to share')
    .option('--replicas <n>', 'copies to place on storage nodes (default: config, 3)', replicasArg)
    .option('--convergent', 'derive the key from the content, so identical files share storage (dedup within your repo or private swarm)')))
    .addHelpText('after', examples('veil share ./holiday.mkv', 'veil share ./photos --replicas 5 --json'))
    .action(async (path: string, flags: ShareFlags, cmd: Command) => { await share(runtime.context(cmd), path, flags) })
}

async function share (ctx: Context, input: string, flags: ShareFlags): Promise<void> {
  const path = absolute(input)
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(err.code === 'ENOENT' ? `no such file or folder: ${input}` : `cannot read ${input}: ${err.message}`, { cause: err })
  })
  if (!info.isFile() && !info.isDirectory()) throw new InputError(`${input} is not a regular file or folder: share the file it points to, or a folder`)
  const [{ shareOp }, { Progress }] = await Promise.all([import('../../daemon/index.js'), import('../progress.js')])
  const progress = new Progress({ mode: Progress.mode(ctx.json, flags), verb: 'sealing', name: basename(path), total: info.isDirectory() ? await folderBytes(path) : undefined })
  const signal = ctx.signal

  let viaDaemon = false
  let summary: ShareSummary
  try {
    summary = await withSession(ctx, flags, async (session) => {
      const replicas = flags.replicas ?? session.settings.replicas
      if (session.kind === 'daemon') {
        viaDaemon = true
        return await session.client.share({ path, replicas, convergent: flags.convergent === true }, { signal, onProgress: progress.onProgress })
      }
      if (replicas === 0) throw new UsageError('--replicas 0 keeps the only copy on this machine, which needs a running node: start `veil node start` first, or ask for 1 or more copies')
      const secret = flags.convergent === true ? await convergenceSecret(session.settings.repo, session.swarm?.key) : undefined
      return await shareOp(session.node, { path, replicas, keepLocal: false, convergenceSecret: secret }, { signal, onProgress: progress.onProgress })
    })
    progress.stop(true)
  } finally {
    progress.stop()
    for (const skipped of progress.skipped) ctx.out.warn(`skipped ${printable(skipped.path)}: ${skipped.reason}`)
  }

  if (summary.replicas < summary.replicasWanted) {
    if (!viaDaemon && summary.replicas === 0) throw new NoStorageNodeError()
    const why = summary.placementFailures[0] === undefined ? '' : ` (${oneReason(summary.placementFailures[0])})`
    ctx.out.warn(summary.replicas === 0
      ? `no storage node took a copy${why}: your running node keeps and serves the share, so keep it running until storage nodes join`
      : `only ${summary.replicas} of ${summary.replicasWanted} copies were placed${why}: the share can be fetched, but start more storage nodes to make it safer`)
  }
  ctx.out.result({
    link: summary.link,
    cid: summary.cid,
    size: summary.size,
    replicas: summary.replicas,
    replicasWanted: summary.replicasWanted,
    name: summary.name,
    kind: summary.kind,
    files: summary.files
  }, () => {
    const what = summary.kind === 'folder' ? `folder ${printable(summary.name)} (${summary.files} files, ${formatSize(summary.size)})` : `${printable(summary.name)} (${formatSize(summary.size)})`
    ctx.out.line(`shared ${what}: ${summary.replicas} of ${summary.replicasWanted} copies on storage nodes${viaDaemon ? ', and served by your node' : ''}`)
    ctx.out.line(summary.link)
  })
}

/** Total bytes of the regular files under a folder (what the progress bar counts). */
async function folderBytes (dir: string, depth = 0): Promise<number> {
  if (depth > 64) return 0
  let total = 0
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isFile()) total += await lstat(path).then(s => s.size, () => 0)
    else if (entry.isDirectory()) total += await folderBytes(path, depth + 1)
  }
  return total
}

function oneReason (failure: string): string {
  return failure.length > 200 ? `${failure.slice(0, 200)}…` : failure
}
