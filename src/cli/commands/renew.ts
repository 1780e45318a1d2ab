/**
 * `veil renew [link]`: renew a share's leases on the storage nodes that hold
 * it (anyone with the link, or its verify-only form, may), or — with no
 * link — every share this repo made. Storage nodes keep a share at least
 * until its lease ends; a running `veil node start` renews its repo's
 * shares by itself.
 */
import type { Command } from 'commander'
import { NotRenewedError } from '../errors.js'
import { readLinkInput } from '../link-input.js'
import { examples, withNetworkOptions } from '../options.js'
import { withSession, type NetworkFlags, type Runtime } from '../session.js'

interface RenewFlags extends NetworkFlags {
  linkFile?: string
}

export function registerRenew (program: Command, runtime: Runtime): void {
  withNetworkOptions(program
    .command('renew')
    .description('renew the leases of a share on the storage nodes that hold it (no link: every share this repo made)')
    .argument('[link]', 'the share\'s link (a verify-only link is enough); - reads it from stdin')
    .option('--link-file <path>', 'read the link from this file instead of the command line'))
    .addHelpText('after', examples("veil renew 'veil://bafy…#…'", 'veil renew --json', 'veil renew - < link.txt'))
    .action(async (argument: string | undefined, flags: RenewFlags, cmd: Command) => {
      const ctx = runtime.context(cmd)
      const link = argument === undefined && flags.linkFile === undefined ? undefined : await readLinkInput({ argument, file: flags.linkFile }, { signal: ctx.signal })
      const [{ parseLink }, { renewOp }] = await Promise.all([import('../../link/index.js'), import('../../daemon/index.js')])
      if (link !== undefined) parseLink(link, { allowName: true, allowPassword: true })
      const summary = await withSession(ctx, flags, async (session) => session.kind === 'daemon'
        ? await session.client.renew(link, { signal: ctx.signal })
        : await renewOp(session.node, link, { signal: ctx.signal }))
      ctx.out.result(summary, () => {
        if (summary.shares.length === 0) ctx.out.note('this repo has made no shares yet: give a link to renew someone else\'s')
        for (const share of summary.shares) {
          const until = share.keptUntil === null ? 'not renewed everywhere' : `kept until at least ${humanTime(share.keptUntil)}`
          ctx.out.line(`renewed ${share.cid}: ${share.units} units on ${share.copies}+ storage nodes each; ${until}`)
        }
      })
      const unrenewed = summary.shares.filter(share => share.copies === 0).length
      if (unrenewed > 0) throw new NotRenewedError(unrenewed)
    })
}

/** "2026-12-31 05:00 UTC" */
export function humanTime (iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}
