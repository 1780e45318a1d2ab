/**
 * `veil pin <link>` / `veil unpin <link>` / `veil pins`: keep every share a
 * link reaches on the running node (a folder's entries too, given its key;
 * a storage node never collects a pinned share, and `veil gc` never removes
 * one), let them go, or list what is pinned. They need a running node: a
 * temporary one would stop right after pinning.
 */
import type { Command } from 'commander'
import { NodeNotRunningError } from '../errors.js'
import { examples, withProgressOptions, type ProgressFlags } from '../options.js'
import { readLinkInput, type LinkSource } from '../link-input.js'
import { findDaemon } from '../repo.js'
import { settingsFor, type Context, type Runtime } from '../session.js'
import { formatSize } from '../units.js'
import type { DaemonClient } from '../../control/index.js'

interface PinFlags extends ProgressFlags {
  linkFile?: string
}

export function registerPin (program: Command, runtime: Runtime): void {
  withProgressOptions(program
    .command('pin')
    .description('copy every share a link reaches to the running node and keep it (a folder link pins its files too; a verify-only link is enough for one share)')
    .argument('[link]', 'the share\'s link; - reads it from stdin')
    .option('--link-file <path>', 'read the link from this file instead of the command line'))
    .addHelpText('after', examples("veil pin 'veil://bafy…#…'", 'veil pin - < link.txt'))
    .action(async (link: string | undefined, flags: PinFlags, cmd: Command) => { await pin(runtime.context(cmd), { argument: link, file: flags.linkFile }, flags) })

  program
    .command('unpin')
    .description('let the running node collect what a link pinned once its lease ends (and `veil gc` remove it)')
    .argument('[link]', 'the share\'s link; - reads it from stdin')
    .option('--link-file <path>', 'read the link from this file instead of the command line')
    .addHelpText('after', examples("veil unpin 'veil://bafy…#…'", 'veil unpin --link-file link.txt'))
    .action(async (link: string | undefined, flags: PinFlags, cmd: Command) => { await unpin(runtime.context(cmd), { argument: link, file: flags.linkFile }) })

  program
    .command('pins')
    .description('the shares pinned on the running node')
    .addHelpText('after', examples('veil pins', 'veil pins --json'))
    .action(async (_flags: object, cmd: Command) => {
      const ctx = runtime.context(cmd)
      const daemon = await runningDaemon(ctx, 'listing pins')
      const { pins } = await daemon.pins({ signal: ctx.signal })
      ctx.out.result({ pins }, () => {
        if (pins.length === 0) ctx.out.note('nothing is pinned on this node')
        for (const cid of pins) ctx.out.line(`veil://${cid}`)
      })
    })
}

async function runningDaemon (ctx: Context, what: string): Promise<DaemonClient> {
  const settings = await settingsFor(ctx)
  const daemon = await findDaemon(settings.repo)
  if (daemon === undefined) throw new NodeNotRunningError(what, settings.repo)
  return daemon.client
}

async function checkedLink (ctx: Context, source: LinkSource): Promise<string> {
  const link = await readLinkInput(source, { signal: ctx.signal })
  const { parseLink } = await import('../../link/index.js')
  // A mutable link pins its current version; a password link its share's own units (its verify-only form).
  parseLink(link, { allowName: true, allowPassword: true })
  return link
}

async function pin (ctx: Context, source: LinkSource, flags: ProgressFlags): Promise<void> {
  const link = await checkedLink(ctx, source)
  const daemon = await runningDaemon(ctx, 'pinning')
  const { Progress } = await import('../progress.js')
  const progress = new Progress({ mode: Progress.mode(ctx.json, flags), verb: 'pinning' })
  let result
  try {
    result = await daemon.pin(link, { signal: ctx.signal, onProgress: progress.onProgress })
    progress.stop(true)
  } finally {
    progress.stop()
  }
  const pinned = result
  ctx.out.result({ ...pinned, pinned: true }, () => {
    const what = pinned.shares === 1 ? '' : ` and ${pinned.shares - 1} shares in it`
    ctx.out.line(`pinned ${pinned.cid}${what}: ${pinned.units} units, ${formatSize(pinned.bytes ?? 0)} copied to this node`)
  })
}

async function unpin (ctx: Context, source: LinkSource): Promise<void> {
  const link = await checkedLink(ctx, source)
  const daemon = await runningDaemon(ctx, 'unpinning')
  const result = await daemon.unpin(link, { signal: ctx.signal })
  ctx.out.result({ ...result, pinned: false }, () => {
    ctx.out.line(`unpinned ${result.cid}${result.shares === 1 ? '' : ` and ${result.shares - 1} shares in it`} (${result.units} units): they go when their lease ends, or with \`veil gc\``)
  })
}
