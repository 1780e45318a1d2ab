/**
 * `veil swarm create|invite|join|rotate`: private swarms. The key lives in a
 * swarm.key file (IPFS format); an invite is one line with the key and the
 * addresses to join through, so it is as secret as the key.
 */
import { rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from 'commander'
import { SWARM_KEY_FILE, readConfigFile, updateRepoConfig, CONFIG_FILE } from '../config-file.js'
import { absolute, type Settings } from '../config.js'
import { ConfigError } from '../errors.js'
import { examples, withNetworkOptions } from '../options.js'
import { printable } from '../output.js'
import { findDaemon, loadSwarm, type RunningDaemon } from '../repo.js'
import { settingsFor, type Context, type NetworkFlags, type Runtime } from '../session.js'

/** The swarm library (key files, invites), loaded when a swarm command runs, not at start-up. */
async function swarmLib (): Promise<typeof import('../../swarm/index.js')> {
  return await import('../../swarm/index.js')
}

class NoSwarmError extends ConfigError {
  override name = 'NoSwarmError'
  constructor () { super('this repo is not in a private swarm: create one with `veil swarm create`, join one with `veil swarm join <invite>`, or pass --swarm-key <file>') }
}

/** The running node still uses another key than the repo's key file (after a rotate, or a join). */
class NodeOnOtherKeyError extends ConfigError {
  override name = 'NodeOnOtherKeyError'
  constructor (repo: string, pid: number, running: string | undefined, current: string) {
    super(`the node running for ${repo} (pid ${pid}) is still ${running === undefined ? 'on the public network' : `in swarm ${running}`}, but the repo's key is now swarm ${current}: restart it (Ctrl-C, then \`veil node start\`) before inviting, or members would be sent to a node that refuses them; or pass --bootstrap with members already on the new key`)
  }
}

class NoInviteAddressError extends ConfigError {
  override name = 'NoInviteAddressError'
  constructor () { super('an invite needs an address to join through, and there is none: start a node with `veil node start` first, or pass --bootstrap <multiaddr>') }
}

export function registerSwarm (program: Command, runtime: Runtime): void {
  const swarm = program
    .command('swarm')
    .description('private swarms: create a key, invite members, join, rotate the key')
    .addHelpText('after', examples('veil swarm create', 'veil swarm invite', 'veil swarm join veil-invite:v1:…'))

  swarm
    .command('create')
    .description('make a new swarm key (default <repo>/swarm.key) and print its swarm id')
    .option('-o, --output <file>', 'write the key here instead of <repo>/swarm.key')
    .option('--force', 'replace an existing key file (cuts off the swarm it belonged to)')
    .addHelpText('after', examples('veil swarm create', 'veil swarm create -o ./lab.swarm.key'))
    .action(async (flags: { output?: string, force?: boolean }, cmd: Command) => {
      const ctx = runtime.context(cmd)
      const path = flags.output !== undefined ? absolute(flags.output) : join((await settingsFor(ctx)).repo, SWARM_KEY_FILE)
      const { createSwarmKey, swarmId, writeSwarmKeyFile } = await swarmLib()
      const key = createSwarmKey()
      await writeSwarmKeyFile(path, key, { overwrite: flags.force === true })
      const id = swarmId(key)
      ctx.out.result({ path, swarmId: id }, () => {
        ctx.out.line(`created swarm ${id}`)
        ctx.out.line(`key ${printable(path)}`)
        ctx.out.note('keep the key secret; start a node with it, then hand out `veil swarm invite`')
      })
    })

  withNetworkOptions(swarm
    .command('invite')
    .description('print a one-line invite: the swarm key and the addresses to join through')
    .option('--name <label>', 'a label for people, such as "lab backups"'))
    .addHelpText('after', examples('veil swarm invite', 'veil swarm invite --name "lab backups"'))
    .action(async (flags: NetworkFlags & { name?: string }, cmd: Command) => {
      const ctx = runtime.context(cmd)
      const settings = await settingsFor(ctx, flags, { create: false })
      const loaded = await loadSwarm(settings)
      if (loaded === undefined) throw new NoSwarmError()
      const running = flags.bootstrap !== undefined ? undefined : await runningNode(settings.repo)
      if (running !== undefined && running.swarmId !== loaded.id) throw new NodeOnOtherKeyError(settings.repo, running.daemon.info.pid, running.swarmId, loaded.id)
      const bootstrap = await inviteAddresses(settings, running)
      if (bootstrap.length === 0) throw new NoInviteAddressError()
      const { formatInvite } = await swarmLib()
      const invite = formatInvite({ key: loaded.key, bootstrap, name: flags.name })
      ctx.out.result({ invite, swarmId: loaded.id, bootstrap }, () => {
        ctx.out.line(invite)
        ctx.out.note(`anyone with this invite can join swarm ${loaded.id}: send it privately`)
      })
    })

  swarm
    .command('join')
    .description('join a swarm from an invite: writes <repo>/swarm.key and the bootstrap addresses into config.json')
    .argument('<invite>', 'the veil-invite:v1:… line')
    .option('--force', 'replace a different swarm key already in the repo')
    .addHelpText('after', examples('veil swarm join veil-invite:v1:…'))
    .action(async (text: string, flags: { force?: boolean }, cmd: Command) => { await joinSwarm(runtime.context(cmd), text, flags.force === true) })

  withNetworkOptions(swarm
    .command('rotate')
    .description('replace the swarm key with a new one (the old one is kept as <key>.old) and print the new invite'))
    .addHelpText('after', examples('veil swarm rotate'))
    .action(async (flags: NetworkFlags, cmd: Command) => { await rotate(runtime.context(cmd), flags) })
}

async function joinSwarm (ctx: Context, text: string, force: boolean): Promise<void> {
  const { parseInvite, readSwarmKeyFile, writeSwarmKeyFile } = await swarmLib()
  const invite = parseInvite(text)
  const settings = await settingsFor(ctx)
  const path = join(settings.repo, SWARM_KEY_FILE)
  const current = await readSwarmKeyFile(path).catch(() => undefined)
  if (current !== undefined && Buffer.from(current.key).equals(Buffer.from(invite.key))) {
    // Already this swarm's key: only the addresses are refreshed.
  } else if (current !== undefined && !force) {
    throw new ConfigError(`there is already a different swarm key at ${path} (swarm ${current.id}): joining swarm ${invite.id} replaces it and cuts this node off from its current swarm; pass --force to do so`)
  } else {
    await writeSwarmKeyFile(path, invite.key, { overwrite: force })
  }
  const configPath = join(settings.repo, CONFIG_FILE)
  const config = await readConfigFile(configPath, configPath)
  // A swarmKey path in config.json would shadow the key just written.
  await updateRepoConfig(settings.repo, { bootstrap: invite.bootstrap, ...(typeof config.swarmKey === 'string' ? { swarmKey: null } : {}) })
  ctx.out.result({ swarmId: invite.id, name: invite.name ?? null, keyPath: path, bootstrap: invite.bootstrap, config: configPath }, () => {
    ctx.out.line(`joined swarm ${invite.id}${invite.name !== undefined ? ` (${printable(invite.name)})` : ''} with ${invite.bootstrap.length} bootstrap address${invite.bootstrap.length === 1 ? '' : 'es'}`)
    ctx.out.note(`key ${path}; bootstrap addresses in ${configPath}. Restart your node (\`veil node start\`) to use them.`)
  })
}

async function rotate (ctx: Context, flags: NetworkFlags): Promise<void> {
  const settings = await settingsFor(ctx, flags, { create: false })
  const path = settings.swarmKeyPath
  if (path === undefined || !await stat(path).then(s => s.isFile(), () => false)) throw new NoSwarmError()
  const { createSwarmKey, formatInvite, readSwarmKeyFile, swarmId, writeSwarmKeyFile } = await swarmLib()
  const old = await readSwarmKeyFile(path)
  const oldPath = `${path}.old`
  const key = createSwarmKey()
  // Keep the old key beside the new one, then write the new one where the old was.
  await rename(path, oldPath)
  try {
    await writeSwarmKeyFile(path, key)
  } catch (err) {
    await rename(oldPath, path).catch(() => {})
    throw err
  }
  const id = swarmId(key)
  // A node running for this repo keeps the old key until it restarts: no invite may point at it before then.
  const running = flags.bootstrap !== undefined ? undefined : await runningNode(settings.repo)
  const bootstrap = running !== undefined ? [] : await inviteAddresses(settings, undefined)
  const invite = bootstrap.length > 0 ? formatInvite({ key, bootstrap }) : null
  const restartNeeded = running !== undefined
  ctx.out.result({ swarmId: id, previousSwarmId: old.id, keyPath: path, oldKeyPath: oldPath, invite, restartNeeded }, () => {
    ctx.out.line(`rotated swarm ${old.id} to ${id}`)
    ctx.out.line(`old key kept at ${printable(oldPath)}`)
    if (invite !== null) ctx.out.line(invite)
    ctx.out.note(restartNeeded
      ? `the node running for this repo (pid ${running.daemon.info.pid}) still uses the old key, and \`veil swarm invite\` refuses until it restarts: stop it (Ctrl-C) and run \`veil node start\`, then hand every member \`veil swarm invite\`; each must join with it (\`veil swarm join --force\`) and restart`
      : invite !== null
        ? 'every member must run `veil swarm join --force <invite>` with this invite and restart its node; nodes still on the old key can no longer connect'
        : 'start your node with `veil node start`, then hand every member `veil swarm invite`; each must join with it (`veil swarm join --force`) and restart')
  })
}

/** The node running for this repo, and the swarm it is really in (undefined: the public network). */
async function runningNode (repo: string): Promise<{ daemon: RunningDaemon, swarmId: string | undefined } | undefined> {
  const daemon = await findDaemon(repo)
  if (daemon === undefined) return undefined
  const status = await daemon.client.status()
  return { daemon, swarmId: status.swarmId }
}

/**
 * Addresses for an invite: --bootstrap if given (then `running` is
 * undefined), else the running node's (without its loopback ones when it
 * has others: they reach only this machine), else the configured bootstrap
 * list.
 */
async function inviteAddresses (settings: Settings, running: { daemon: RunningDaemon } | undefined): Promise<string[]> {
  let addresses = settings.bootstrap
  const daemon = running?.daemon
  if (daemon !== undefined && daemon.info.addresses.length > 0) {
    const loopback = (a: string): boolean => a.startsWith('/ip4/127.') || a.startsWith('/ip6/::1/')
    const remote = daemon.info.addresses.filter(a => !loopback(a))
    addresses = remote.length > 0 ? remote : daemon.info.addresses
  }
  const { MAX_INVITE_ADDRESSES } = await swarmLib()
  return addresses.filter(a => a.includes('/p2p/')).slice(0, MAX_INVITE_ADDRESSES)
}
