/**
 * `veil get <link>`: fetch a share by link. Writes to `./<share name>` by
 * default, to `-o <path>` (a file share given an existing folder goes inside
 * it, as with cp), or to stdout with `-o -` (a folder as a tar stream). The
 * link may name a path inside a folder share, and may come from stdin (`-`)
 * or a file (`--link-file`), which keeps its key out of `ps` and shell
 * history. An interrupted fetch resumes when the same command runs again
 * (the library keeps `<out>.veil-part` and `<out>.veil-state`); an existing
 * different file is left alone unless --force.
 */
import type { Command } from 'commander'
import type { GetSummary } from '../../control/index.js'
import { absolute } from '../config.js'
import { InterruptedError, UsageError } from '../errors.js'
import { readLinkInput } from '../link-input.js'
import { unlockLinkText } from '../password.js'
import { examples, withNetworkOptions, withProgressOptions, type ProgressFlags } from '../options.js'
import { printable, stdoutSink } from '../output.js'
import { withSession, type Context, type NetworkFlags, type Runtime } from '../session.js'
import { countArg, folderLimitsOf, folderSummary, limitSizeArg, type FolderLimitFlags } from '../folder-limits.js'
import { formatSize } from '../units.js'

interface GetFlags extends NetworkFlags, ProgressFlags, FolderLimitFlags {
  output?: string
  force?: boolean
  linkFile?: string
  passwordFile?: string
}

export function registerGet (program: Command, runtime: Runtime): void {
  withProgressOptions(withNetworkOptions(program
    .command('get')
    .description('fetch a share by its link; run it again to resume an interrupted fetch')
    .argument('[link]', 'a veil:// link (or its gateway or magnet form), optionally with a path inside a folder share: veil://<cid>/photos/a.jpg#<key>; - reads it from stdin')
    .option('-o, --output <path>', 'where to write: a file, a folder (a file share goes inside an existing one), or - for stdout (a folder share as a tar stream) (default: ./<share name>)')
    .option('--link-file <path>', 'read the link from this file instead of the command line')
    .option('--password-file <path>', 'for a password-protected link: read the password from this file\'s first line (else it is asked on the terminal, or read from stdin)')
    .option('--force', 'replace an existing file that is not this share')
    .option('--max-entries <n>', 'refuse a folder holding more files and folders than this (default 100000)', countArg)
    .option('--max-depth <n>', 'refuse a folder nesting folders deeper than this (default 64)', countArg)
    .option('--max-size <size>', 'refuse a folder whose files add up to more than this (default 1TiB)', limitSizeArg)))
    .addHelpText('after', examples(
      "veil get 'veil://bafy…#…' -o holiday.mkv",
      "veil get 'veil://bafy…#…' -o - | mpv -",
      "veil get 'veil://bafy…/photos/2024/a.jpg#…' -o ~/Pictures/",
      "veil get 'veil://bafy…#…' -o - | tar x          # a folder share",
      'veil get - < link.txt                             # the key stays out of ps and shell history',
      "veil get 'veil://bafz…#…'                        # a mutable link: its newest version"
    ))
    .action(async (link: string | undefined, flags: GetFlags, cmd: Command) => { await get(runtime.context(cmd), link, flags) })
}

async function get (ctx: Context, argument: string | undefined, flags: GetFlags): Promise<void> {
  const toStdout = flags.output === '-'
  if (toStdout && ctx.json) throw new UsageError('--json cannot be used with -o - (stdout carries the file): drop one of them')
  const given = await readLinkInput({ argument, file: flags.linkFile }, { signal: ctx.signal })
  // A password link is opened here, before any network work or output file (a wrong password writes nothing).
  const link = await unlockLinkText(given, { file: flags.passwordFile, stdinTaken: argument === '-' }, { signal: ctx.signal })
  // Loaded here, not at start-up, so `veil --help` stays quick.
  const [{ parseShareLink }, { checkOutputPath, getOp }, { Progress }] = await Promise.all([
    import('../../link/index.js'), import('../../daemon/index.js'), import('../progress.js')
  ])
  parseShareLink(link, { allowPath: true, allowName: true }) // a bad link fails here, before any network work
  const output = flags.output === undefined || toStdout ? undefined : absolute(flags.output)
  if (output !== undefined) await checkOutputPath(output)
  const progress = new Progress({ mode: Progress.mode(ctx.json, flags), verb: 'fetching' })
  const { signal } = ctx
  const force = flags.force === true
  const started = Date.now()
  const limits = folderLimitsOf(flags)
  const onProgress: typeof progress.onProgress = (event) => {
    const summary = folderSummary(event, formatSize)
    if (summary !== undefined) ctx.out.note(summary)
    progress.onProgress(event)
  }

  let summary: GetSummary
  try {
    summary = await withSession(ctx, flags, async (session) => {
      if (session.kind === 'daemon') {
        if (toStdout) return await session.client.getToStream({ link, force }, stdoutSink(), { signal })
        return await session.client.get({ link, output, cwd: process.cwd(), force, limits }, { signal, onProgress })
      }
      return await getOp(session.node, { link, output: toStdout ? stdoutSink() : output, cwd: process.cwd(), force, limits }, { signal, onProgress })
    })
    progress.stop(true)
  } catch (err) {
    progress.stop()
    if (signal.aborted) throw new InterruptedError(toStdout ? '' : ': run the same command again to resume the fetch')
    throw err
  }

  const seconds = (Date.now() - started) / 1000
  ctx.out.result(summary, () => {
    const rate = summary.bytesWritten > 0 ? `, ${formatSize(summary.bytesWritten / Math.max(seconds, 0.001))}/s` : ''
    const size = summary.kind === 'folder' ? `${summary.files} files, ${formatSize(summary.bytesWritten)}` : formatSize(summary.size)
    const notes = [
      summary.alreadyComplete ? 'already complete' : '',
      summary.resumedBlocks > 0 ? `resumed after ${summary.resumedBlocks} blocks` : '',
      summary.sequence !== null ? `version ${summary.sequence}` : ''
    ].filter(s => s.length > 0).join(', ')
    const line = `saved ${printable(summary.path)} (${size} in ${seconds.toFixed(1)} s${rate}${notes.length > 0 ? `; ${notes}` : ''})`
    if (toStdout) ctx.out.note(`veil: wrote ${summary.kind === 'folder' ? `a tar stream of ${summary.files} files, ` : ''}${formatSize(summary.bytesWritten)} to stdout`)
    else ctx.out.line(line)
  })
}
