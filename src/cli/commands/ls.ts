/** `veil ls <link>`: list a folder share's entries (name, size, kind). */
import type { Command } from 'commander'
import { formatSize } from '../config.js'
import { examples, withNetworkOptions } from '../options.js'
import { printable } from '../output.js'
import { withSession } from '../session.js'
import type { NetworkFlags } from '../session.js'
import type { Runtime } from '../program.js'

export function registerLs (program: Command, runtime: Runtime): void {
  withNetworkOptions(program
    .command('ls')
    .description('list a folder share: name, size and kind of each entry')
    .argument('<link>', 'a folder\'s veil:// link'))
    .addHelpText('after', examples("veil ls 'veil://bafy…#…'", "veil ls 'veil://bafy…#…' --json"))
    .action(async (link: string, flags: NetworkFlags, cmd: Command) => {
      const ctx = runtime.context(cmd)
      const [{ parseShareLink }, { listOp }] = await Promise.all([import('../../link/index.js'), import('../../daemon/index.js')])
      parseShareLink(link)
      const listing = await withSession(ctx, flags, async (session) => session.kind === 'daemon'
        ? await session.client.list(link, { signal: ctx.signal })
        : await listOp(session.node, link, { signal: ctx.signal }))
      ctx.out.result(listing, () => {
        if (listing.entries.length === 0) ctx.out.note(`${printable(listing.name)} is an empty folder`)
        for (const entry of listing.entries) {
          const name = printable(entry.name) + (entry.kind === 'folder' ? '/' : '')
          ctx.out.line(`${entry.kind.padEnd(6)} ${formatSize(entry.size).padStart(10)}  ${name}`)
        }
      })
    })
}
