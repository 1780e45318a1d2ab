/**
 * `veil gc`: remove from the repo's store every block nothing keeps — no
 * pin, no share this repo made, no unit a storage node holds for the swarm
 * (see collectRepo). What an interrupted share left behind goes this way.
 * Through the running node when there is one, else on the store directly.
 */
import { join } from 'node:path'
import { stat } from 'node:fs/promises'
import type { Command } from 'commander'
import { RepoBusyError } from '../errors.js'
import { examples } from '../options.js'
import { findDaemon } from '../repo.js'
import { isRepoLocked, settingsFor, type Context, type Runtime } from '../session.js'
import { formatSize } from '../units.js'
import type { GcSummary } from '../../control/index.js'

export function registerGc (program: Command, runtime: Runtime): void {
  program
    .command('gc')
    .description('remove blocks that no pin, no share of this repo and no lease keeps, and say how much was freed')
    .addHelpText('after', examples('veil gc', 'veil gc --json'))
    .action(async (_flags: object, cmd: Command) => { await gc(runtime.context(cmd)) })
}

async function gc (ctx: Context): Promise<void> {
  const settings = await settingsFor(ctx, {}, { create: false })
  const daemon = await findDaemon(settings.repo)
  const result = daemon !== undefined
    ? await daemon.client.gc({ signal: ctx.signal })
    : await offline(settings.repo, ctx.signal)
  ctx.out.result(result, () => {
    ctx.out.line(result.blocks === 0
      ? `nothing to remove (${result.kept} blocks kept)`
      : `removed ${result.blocks} blocks, freed ${formatSize(result.bytes)} (${result.kept} blocks kept)`)
  })
}

async function offline (repo: string, signal: AbortSignal): Promise<GcSummary> {
  const path = join(repo, 'store')
  if (!await stat(path).then(info => info.isDirectory(), () => false)) return { blocks: 0, bytes: 0, kept: 0 }
  const [{ LevelBlockStore }, { collectRepo }] = await Promise.all([import('../../blockstore/index.js'), import('../../replication/index.js')])
  const store = await LevelBlockStore.open(path).catch((err: unknown) => {
    if (isRepoLocked(err)) throw new RepoBusyError(repo, { cause: err })
    throw err
  })
  try {
    return await collectRepo(store, { signal })
  } finally {
    await store.close()
  }
}
