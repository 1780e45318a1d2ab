/**
 * `veil get <link>`: fetch a share by link. Writes to `./<share name>` by
 * default, to `-o <path>`, or to stdout with `-o -`. An interrupted fetch
 * resumes when the same command runs again (the library keeps
 * `<out>.veil-part` and `<out>.veil-state`); an existing different file is
 * left alone unless --force.
 */
import type { Command } from 'commander'
import { parseShareLink } from '../../link/index.js'
import { checkOutputPath, getOp, type GetSummary } from '../../daemon/index.js'
import { absolute, formatSize } from '../config.js'
import { InterruptedError, UsageError } from '../errors.js'
import { examples, withNetworkOptions } from '../options.js'
import { printable, stdoutSink } from '../output.js'
import { Progress, barsWanted } from '../progress.js'
import { withSession, type Context, type NetworkFlags } from '../session.js'
import type { Runtime } from '../program.js'
import { countArg, folderLimitsOf, folderSummary, limitSizeArg, type FolderLimitFlags } from '../folder-limits.js'

interface GetFlags extends NetworkFlags, FolderLimitFlags {
  output?: string
  force?: boolean
}

export function registerGet (program: Command, runtime: Runtime): void {
  withNetworkOptions(program
    .command('get')
    .description('fetch a share by its link; run it again to resume an interrupted fetch')
    .argument('<link>', 'a veil:// link (or its gateway or magnet form)')
    .option('-o, --output <path>', 'where to write: a file, a folder for folder shares, or - for stdout (default: ./<share name>)')
    .option('--force', 'replace an existing file that is not this share')
    .option('--max-entries <n>', 'refuse a folder holding more files and folders than this (default 100000)', countArg)
    .option('--max-depth <n>', 'refuse a folder nesting folders deeper than this (default 64)', countArg)
    .option('--max-size <size>', 'refuse a folder whose files add up to more than this (default 1TiB)', limitSizeArg))
    .addHelpText('after', examples("veil get 'veil://bafy…#…' -o holiday.mkv", "veil get 'veil://bafy…#…' -o - | mpv -"))
    .action(async (link: string, flags: GetFlags, cmd: Command) => { await get(runtime.context(cmd), link, flags) })
}

async function get (ctx: Context, link: string, flags: GetFlags): Promise<void> {
  const toStdout = flags.output === '-'
  if (toStdout && ctx.json) throw new UsageError('--json cannot be used with -o - (stdout carries the file): drop one of them')
  parseShareLink(link) // a bad link fails here, before any network work
  const output = flags.output === undefined || toStdout ? undefined : absolute(flags.output)
  if (output !== undefined) await checkOutputPath(output)
  const progress = new Progress({ enabled: barsWanted(ctx.json), verb: 'fetching' })
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
      summary.resumedBlocks > 0 ? `resumed after ${summary.resumedBlocks} blocks` : ''
    ].filter(s => s.length > 0).join(', ')
    const line = `saved ${printable(summary.path)} (${size} in ${seconds.toFixed(1)} s${rate}${notes.length > 0 ? `; ${notes}` : ''})`
    if (toStdout) ctx.out.note(`veil: wrote ${formatSize(summary.bytesWritten)} to stdout`)
    else ctx.out.line(line)
  })
}
