/**
 * `veil share <path>`: seal a file or folder, place copies on storage nodes
 * and print its link (the last line of stdout). Through a running daemon the
 * daemon also keeps and serves it; as a light client (no daemon) the local
 * copy is dropped once every unit has its copies, so the sharer may leave.
 */
import { lstat, readdir, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { Option, type Command } from 'commander'
import { InputError } from '../../errors.js'
import type { ShareSummary } from '../../control/index.js'
import { absolute, checkGateway, formatSize } from '../config.js'
import { NoStorageNodeError, UsageError } from '../errors.js'
import { examples, replicasArg, withNetworkOptions, withProgressOptions, type ProgressFlags } from '../options.js'
import { printable } from '../output.js'
import { convergenceSecret } from '../repo.js'
import { settingsFor, withSession, type Context, type NetworkFlags, type Runtime } from '../session.js'
import { humanTime } from './renew.js'

type LinkFormat = 'veil' | 'magnet' | 'gateway'

interface ShareFlags extends NetworkFlags, ProgressFlags {
  replicas?: number
  convergent?: boolean
  format?: LinkFormat
  gateway?: string
  gatewayUrl?: string
  qr?: boolean
}

export function registerShare (program: Command, runtime: Runtime): void {
  withProgressOptions(withNetworkOptions(program
    .command('share')
    .description('share a file or folder; prints its link as the last line')
    .argument('<path>', 'the file or folder to share')
    .option('--replicas <n>', 'copies to place on storage nodes (default: config, 3)', replicasArg)
    .option('--convergent', 'derive the key from the content, so identical files share storage (dedup within your repo or private swarm)')
    .addOption(new Option('--format <form>', 'the link to print: veil://… (default), magnet:?… (its name and size are visible, outside the key), or a gateway URL').choices(['veil', 'magnet', 'gateway']))
    .option('--gateway-url <url>', 'a gateway\'s public address, such as https://gw.example.org: also print the link in its form, to open in a browser (default: VEIL_GATEWAY_URL, then config "gatewayUrl")', (value: string) => checkGateway(value, { flag: true, where: '--gateway-url' }))
    .option('--gateway <url>', 'the same as --gateway-url (its first name)', (value: string) => checkGateway(value))
    .option('--qr', 'also draw the link as a QR code in the terminal, to scan with a phone')))
    .addHelpText('after', examples('veil share ./holiday.mkv', 'veil share ./photos --replicas 5 --json', 'veil share ./slides.pdf --format magnet --qr'))
    .action(async (path: string, flags: ShareFlags, cmd: Command) => { await share(runtime.context(cmd), path, flags) })
}

async function share (ctx: Context, input: string, flags: ShareFlags): Promise<void> {
  if (flags.qr === true && ctx.json) throw new UsageError('--qr draws on the terminal and --json prints only JSON: drop one of them')
  const path = absolute(input)
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(err.code === 'ENOENT' ? `no such file or folder: ${input}` : `cannot read ${input}: ${err.message}`, { cause: err })
  })
  if (!info.isFile() && !info.isDirectory()) throw new InputError(`${input} is not a regular file or folder: share the file it points to, or a folder`)
  const [{ shareOp }, { Progress }] = await Promise.all([import('../../daemon/index.js'), import('../progress.js')])
  const progress = new Progress({ mode: Progress.mode(ctx.json, flags), verb: 'sealing', name: basename(path), total: info.isDirectory() ? await folderBytes(path) : undefined })
  const signal = ctx.signal

  let gateway = flags.gatewayUrl ?? flags.gateway
  if (flags.format === 'gateway' && gateway === undefined) {
    // Checked before any network work: the link could not be printed.
    gateway = (await settingsFor(ctx, { bootstrap: flags.bootstrap, swarmKey: flags.swarmKey })).gateway
    if (gateway === undefined) throw new UsageError('--format gateway needs the gateway\'s address: pass --gateway-url <url>, set VEIL_GATEWAY_URL, or "gatewayUrl" in config.json')
  }
  let viaDaemon = false
  let summary: ShareSummary
  try {
    summary = await withSession(ctx, flags, async (session) => {
      gateway ??= session.settings.gateway
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
  const links = await linkForms(summary, gateway)
  const shown = links[flags.format ?? 'veil'] ?? summary.link
  ctx.out.result({
    link: summary.link,
    links,
    gatewayLink: links.gateway ?? null,
    cid: summary.cid,
    size: summary.size,
    replicas: summary.replicas,
    replicasWanted: summary.replicasWanted,
    keptUntil: summary.keptUntil,
    name: summary.name,
    kind: summary.kind,
    files: summary.files
  }, () => {
    const what = summary.kind === 'folder' ? `folder ${printable(summary.name)} (${summary.files} files, ${formatSize(summary.size)})` : `${printable(summary.name)} (${formatSize(summary.size)})`
    ctx.out.line(`shared ${what}: ${summary.replicas} of ${summary.replicasWanted} copies on storage nodes${viaDaemon ? ', and served by your node' : ''}`)
    if (summary.keptUntil !== null) {
      ctx.out.line(`kept until at least ${humanTime(summary.keptUntil)}; ${viaDaemon ? 'your running node renews it' : 'renew it with `veil renew <link>` (or keep `veil node start` running)'}`)
    }
    if (links.gateway !== undefined && shown !== links.gateway) ctx.out.line(`open in a browser: ${links.gateway}`)
  })
  if (flags.qr === true) {
    const QRCode = (await import('qrcode')).default
    const code = await QRCode.toString(shown, { type: 'terminal', small: true })
    // Its last row ends with colour resets and no line break: the link goes on a line of its own.
    process.stdout.write(code.endsWith('\n') ? code : `${code}\n`)
  }
  ctx.out.line(shown)
}

/** The link in every form Veil reads: canonical, magnet, and gateway when a gateway is known. */
async function linkForms (summary: ShareSummary, gateway: string | undefined): Promise<{ veil: string, magnet: string, gateway?: string }> {
  const { formatGatewayLink, formatMagnetLink, parseShareLink } = await import('../../link/index.js')
  const link = parseShareLink(summary.link)
  return {
    veil: summary.link,
    magnet: formatMagnetLink(link, { name: summary.name, size: summary.size }),
    ...(gateway !== undefined ? { gateway: formatGatewayLink(link, gateway) } : {})
  }
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
