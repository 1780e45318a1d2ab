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
import { checkGateway } from '../config-checks.js'
import { absolute } from '../config.js'
import { NoStorageNodeError, UsageError } from '../errors.js'
import { examples, replicasArg, withNetworkOptions, withProgressOptions, type ProgressFlags } from '../options.js'
import { printable } from '../output.js'
import { convergenceSecret } from '../repo.js'
import { settingsFor, withSession, type Context, type NetworkFlags, type Runtime } from '../session.js'
import { humanTime } from './renew.js'
import { readPassword, SHORT_PASSWORD } from '../password.js'
import { expiryArg } from '../options.js'
import { formatSize } from '../units.js'

type LinkFormat = 'veil' | 'magnet' | 'gateway'

interface ShareFlags extends NetworkFlags, ProgressFlags {
  replicas?: number
  convergent?: boolean
  format?: LinkFormat
  gateway?: string
  gatewayUrl?: string
  qr?: boolean
  password?: boolean
  passwordFile?: string
  expires?: number
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
    .option('--qr', 'also draw the link as a QR code in the terminal, to scan with a phone')
    .option('--password', 'protect the link with a password (asked on the terminal, or read from --password-file or stdin; never an argument): the link alone then opens nothing')
    .option('--password-file <path>', 'with --password: read the password from this file\'s first line')
    .option('--expires <duration>', 'make the share expire after this long, such as 7d, 12h or 30m: storage nodes delete it then and Veil refuses to open it (anyone who fetched it before keeps their copy)', expiryArg)))
    .addHelpText('after', examples('veil share ./holiday.mkv', 'veil share ./photos --replicas 5 --json', 'veil share ./slides.pdf --format magnet --qr', 'veil share ./contract.pdf --password --expires 7d'))
    .action(async (path: string, flags: ShareFlags, cmd: Command) => { await share(runtime.context(cmd), path, flags) })
}

async function share (ctx: Context, input: string, flags: ShareFlags): Promise<void> {
  if (flags.qr === true && ctx.json) throw new UsageError('--qr draws on the terminal and --json prints only JSON: drop one of them')
  if (flags.passwordFile !== undefined && flags.password !== true) throw new UsageError('--password-file goes with --password')
  if (flags.password === true && flags.format === 'magnet') throw new UsageError('a magnet link shows its name and size outside the key, which a password would not hide: drop --format magnet or --password')
  if (flags.expires !== undefined && flags.convergent === true) throw new UsageError('a share cannot both expire and be convergent (deduplicated): drop --convergent or --expires')
  // The password is asked for before any work: nobody waits through an upload to be asked.
  const password = flags.password === true ? await newPassword(ctx, flags.passwordFile) : undefined
  const expires = flags.expires === undefined ? undefined : Date.now() + flags.expires
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
        return await session.client.share({ path, replicas, convergent: flags.convergent === true, expires }, { signal, onProgress: progress.onProgress })
      }
      if (replicas === 0) throw new UsageError('--replicas 0 keeps the only copy on this machine, which needs a running node: start `veil node start` first, or ask for 1 or more copies')
      const secret = flags.convergent === true ? await convergenceSecret(session.settings.repo, session.swarm?.key) : undefined
      return await shareOp(session.node, { path, replicas, keepLocal: false, convergenceSecret: secret, expires }, { signal, onProgress: progress.onProgress })
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
  const links = password === undefined ? await linkForms(summary, gateway) : await lockedLinkForms(summary, gateway, password)
  const shown = links[flags.format ?? 'veil'] ?? links.veil
  ctx.out.result({
    link: links.veil,
    links,
    gatewayLink: links.gateway ?? null,
    cid: summary.cid,
    size: summary.size,
    replicas: summary.replicas,
    replicasWanted: summary.replicasWanted,
    keptUntil: summary.keptUntil,
    name: summary.name,
    kind: summary.kind,
    files: summary.files,
    expires: summary.expires ?? null,
    password: password !== undefined
  }, () => {
    const what = summary.kind === 'folder' ? `folder ${printable(summary.name)} (${summary.files} files, ${formatSize(summary.size)})` : `${printable(summary.name)} (${formatSize(summary.size)})`
    ctx.out.line(`shared ${what}: ${summary.replicas} of ${summary.replicasWanted} copies on storage nodes${viaDaemon ? ', and served by your node' : ''}`)
    if (summary.keptUntil !== null) {
      ctx.out.line(`kept until at least ${humanTime(summary.keptUntil)}; ${viaDaemon ? 'your running node renews it' : 'renew it with `veil renew <link>` (or keep `veil node start` running)'}`)
    }
    if (summary.expires !== null && summary.expires !== undefined) {
      ctx.out.line(`expires ${humanTime(summary.expires)}: storage nodes delete it then and Veil refuses to open it; anyone who fetched it before keeps their copy`)
    }
    if (password !== undefined) ctx.out.line('protected by a password: send the password another way than the link')
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

/** The link forms with the key wrapped under `password` (Argon2id, here): no magnet form (it would show name and size). */
async function lockedLinkForms (summary: ShareSummary, gateway: string | undefined, password: string): Promise<{ veil: string, magnet?: string, gateway?: string }> {
  const { formatLockedGatewayLink, formatLockedLink, lockKey, parseShareLink } = await import('../../link/index.js')
  const link = parseShareLink(summary.link)
  const lock = await lockKey(link.key, password)
  return {
    veil: formatLockedLink(link, lock),
    ...(gateway !== undefined ? { gateway: formatLockedGatewayLink(link, lock, gateway) } : {})
  }
}

/** A new password for `share --password`: asked twice on a terminal; a short one is warned about. */
async function newPassword (ctx: Context, file: string | undefined): Promise<string> {
  const password = await readPassword({ file }, { confirm: true, prompt: 'Password for the link', signal: ctx.signal })
  if ([...password].length < SHORT_PASSWORD) ctx.out.warn(`the password is shorter than ${SHORT_PASSWORD} characters: anyone who gets the link can try guesses offline (each costs them ~0.3 s of Argon2id); a longer one is much safer`)
  return password
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
