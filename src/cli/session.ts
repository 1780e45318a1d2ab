/**
 * How a command reaches a node: through the daemon's control API when one
 * runs for the repo, otherwise through a temporary light node that uses the
 * repo's identity, store and configured swarm, and is stopped afterwards.
 */
import type { Command } from 'commander'
import { SwarmRequiredError } from '../errors.js'
import type { VeilNode } from '../node/index.js'
import type { DaemonClient } from '../control/index.js'
import { loadSettings, type SettingFlags, type Settings } from './config.js'
import { NoBootstrapError, RepoBusyError, explainJoinFailure } from './errors.js'
import type { Output } from './output.js'
import { ensureRepo, findDaemon, loadSwarm, type ApiInfo, type LoadedSwarm } from './repo.js'

/** What every command gets: output, the Ctrl-C/SIGTERM signal, the global flags. */
export interface Context {
  out: Output
  signal: AbortSignal
  repoFlag?: string
  json: boolean
}

/** What command files need from the program: the context of the command being run. */
export interface Runtime {
  context: (cmd: Command) => Context
}

/** Flags of the commands that start a node. */
export interface NetworkFlags {
  bootstrap?: string[]
  swarmKey?: string
  joinTimeout?: string
}

export type Session =
  | { kind: 'daemon', client: DaemonClient, info: ApiInfo, settings: Settings }
  | { kind: 'local', node: VeilNode, settings: Settings, swarm: LoadedSwarm | undefined }

export interface SessionOptions {
  /** A temporary node needs peers to be of any use (share, get, ls). Default true. */
  needsPeers?: boolean
}

/**
 * The settings for this command. The repo folder is created unless `create`
 * is false: commands that only look (status, peers, swarm invite) never
 * leave a folder behind where none was.
 */
export async function settingsFor (ctx: Context, flags: SettingFlags = {}, options: { create?: boolean } = {}): Promise<Settings> {
  const settings = await loadSettings({ ...flags, repo: ctx.repoFlag })
  if (options.create ?? true) await ensureRepo(settings.repo)
  return settings
}

/** Run `work` against the repo's daemon, or a temporary light node. */
export async function withSession<T> (ctx: Context, flags: NetworkFlags, work: (session: Session) => Promise<T>, options: SessionOptions = {}): Promise<T> {
  const settings = await settingsFor(ctx, { bootstrap: flags.bootstrap, swarmKey: flags.swarmKey, joinTimeout: flags.joinTimeout })
  const daemon = await findDaemon(settings.repo)
  if (daemon !== undefined) {
    if (flags.bootstrap !== undefined || flags.swarmKey !== undefined) {
      ctx.out.warn(`the node running for ${settings.repo} (pid ${daemon.info.pid}) does this with its own peers and swarm key: --bootstrap and --swarm-key are ignored`)
    }
    return await work({ kind: 'daemon', client: daemon.client, info: daemon.info, settings })
  }

  const swarm = await loadSwarm(settings)
  if (settings.requireSwarm && swarm === undefined) throw new SwarmRequiredError()
  if ((options.needsPeers ?? true) && settings.bootstrap.length === 0) throw new NoBootstrapError()
  const node = await openNode(settings.repo, async (VeilNode) => await VeilNode.create({
    repo: settings.repo,
    bootstrap: settings.bootstrap,
    swarm: swarm === undefined ? undefined : { key: swarm.key },
    requireSwarm: settings.requireSwarm,
    dhtServer: false,
    listen: [],
    bootstrapTimeoutMs: settings.joinTimeout
  }))
  try {
    await node.start({ signal: ctx.signal }).catch((err: unknown) => { throw explainJoinFailure(err, swarm) })
    return await work({ kind: 'local', node, settings, swarm })
  } finally {
    await node.stop()
  }
}

/**
 * Create a node, turning "another process holds the store" into a clear
 * error. libp2p is loaded here, on first need, so `--help`, usage errors and
 * offline commands start in a fraction of the time.
 */
export async function openNode (repo: string, create: (node: typeof VeilNode) => Promise<VeilNode>): Promise<VeilNode> {
  const { VeilNode } = await import('../node/index.js')
  try {
    return await create(VeilNode)
  } catch (err) {
    if (isRepoLocked(err)) throw new RepoBusyError(repo, { cause: err })
    throw err
  }
}

export function isRepoLocked (err: unknown): boolean {
  for (let e = err as { code?: unknown, cause?: unknown } | undefined, depth = 0; e != null && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === 'LEVEL_LOCKED') return true
  }
  return false
}
