/**
 * `veil ls <link>`: list a folder share's entries (kind, size, name), or
 * with -r its whole tree (one path per line). The link may name a folder
 * inside the share (`veil://<cid>/photos#<key>`) and may come from stdin
 * (`-`) or a file (`--link-file`).
 */
import type { Command } from 'commander'
import { readLinkInput } from '../link-input.js'
import { unlockLinkText } from '../password.js'
import { examples, withNetworkOptions } from '../options.js'
import { printable } from '../output.js'
import { withSession, type NetworkFlags, type Runtime } from '../session.js'
import { formatSize } from '../units.js'

interface LsFlags extends NetworkFlags {
  recursive?: boolean
  linkFile?: string
  passwordFile?: string
}

export function registerLs (program: Command, runtime: Runtime): void {
  withNetworkOptions(program
    .command('ls')
    .description('list a folder share: kind, size and name of each entry (-r: the whole tree)')
    .argument('[link]', 'a folder\'s veil:// link, optionally with a path to a folder inside it; - reads it from stdin')
    .option('-r, --recursive', 'list every file and folder below, each as its path in the share')
    .option('--link-file <path>', 'read the link from this file instead of the command line')
    .option('--password-file <path>', 'for a password-protected link: read the password from this file\'s first line (else it is asked on the terminal, or read from stdin)'))
    .addHelpText('after', examples("veil ls 'veil://bafy…#…'", "veil ls -r 'veil://bafy…/photos#…' --json", 'veil ls - < link.txt'))
    .action(async (argument: string | undefined, flags: LsFlags, cmd: Command) => {
      const ctx = runtime.context(cmd)
      const given = await readLinkInput({ argument, file: flags.linkFile }, { signal: ctx.signal })
      const link = await unlockLinkText(given, { file: flags.passwordFile, stdinTaken: argument === '-' }, { signal: ctx.signal })
      const [{ parseShareLink }, { listOp }] = await Promise.all([import('../../link/index.js'), import('../../daemon/index.js')])
      parseShareLink(link, { allowPath: true, allowName: true })
      const request = { link, recursive: flags.recursive === true }
      const listing = await withSession(ctx, flags, async (session) => session.kind === 'daemon'
        ? await session.client.list(request, { signal: ctx.signal })
        : await listOp(session.node, request, { signal: ctx.signal }))
      ctx.out.result(listing, () => {
        if (listing.sequence !== null) ctx.out.note(`version ${listing.sequence} of this link`)
        if (listing.entries.length === 0) ctx.out.note(`${printable(listing.name)} is an empty folder`)
        for (const entry of listing.entries) {
          const name = printable(flags.recursive === true ? entry.path : entry.name) + (entry.kind === 'folder' ? '/' : '')
          ctx.out.line(`${entry.kind.padEnd(6)} ${formatSize(entry.size).padStart(10)}  ${name}`)
        }
      })
    })
}
