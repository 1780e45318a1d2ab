/**
 * `veil pin <link>` / `veil unpin <link>`: keep a share on the running node
 * (a storage node never collects a pinned share), or let it expire. Both
 * need a running node: a temporary one would stop right after pinning.
 */
import type { Command } from 'commander'
import { NodeNotRunningError } from '../errors.js'
import { examples } from '../options.js'
import { readLinkInput, type LinkSource } from '../link-input.js'
import { findDaemon } from '../repo.js'
import { settingsFor, type Context } from '../session.js'
import type { Runtime } from '../program.js'

export function registerPin (program: Command, runtime: Runtime): void {
  program
    .command('pin')
    .description('copy a share to the running node and keep it (a verify-only link is enough)')
    .argument('[link]', 'the share\'s link; - reads it from stdin')
    .option('--link-file <path>', 'read the link from this file instead of the command line')
    .addHelpText('after', examples("veil pin 'veil://bafy…#…'", 'veil pin - < link.txt'))
    .action(async (link: string | undefined, opts: { linkFile?: string }, cmd: Command) => { await pinWith(runtime.context(cmd), { argument: link, file: opts.linkFile }, true) })

  program
    .command('unpin')
    .description('let the running node collect a share once its lease ends')
    .argument('[link]', 'the share\'s link; - reads it from stdin')
    .option('--link-file <path>', 'read the link from this file instead of the command line')
    .addHelpText('after', examples("veil unpin 'veil://bafy…#…'", 'veil unpin --link-file link.txt'))
    .action(async (link: string | undefined, opts: { linkFile?: string }, cmd: Command) => { await pinWith(runtime.context(cmd), { argument: link, file: opts.linkFile }, false) })
}

async function pinWith (ctx: Context, source: LinkSource, pinned: boolean): Promise<void> {
  await pin(ctx, await readLinkInput(source, { signal: ctx.signal }), pinned)
}

async function pin (ctx: Context, link: string, pinned: boolean): Promise<void> {
  const { parseLink } = await import('../../link/index.js')
  parseLink(link)
  const settings = await settingsFor(ctx)
  const daemon = await findDaemon(settings.repo)
  if (daemon === undefined) throw new NodeNotRunningError(pinned ? 'pinning' : 'unpinning', settings.repo)
  const result = pinned ? await daemon.client.pin(link, { signal: ctx.signal }) : await daemon.client.unpin(link, { signal: ctx.signal })
  ctx.out.result({ ...result, pinned }, () => {
    ctx.out.line(`${pinned ? 'pinned' : 'unpinned'} ${result.cid} (${result.units} units)`)
  })
}
