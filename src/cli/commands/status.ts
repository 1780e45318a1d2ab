/**
 * `veil status` and `veil peers`. With a daemon running they ask it; without
 * one, `status` describes the repo offline (peer id, store size, settings,
 * swarm id) and `peers` fails with "no node is running" — there is no
 * point starting a node just to list the peers it would have.
 */
import { join } from 'node:path'
import { stat } from 'node:fs/promises'
import type { Command } from 'commander'
import { NodeNotRunningError } from '../errors.js'
import { examples } from '../options.js'
import { findDaemon, loadSwarm, readPeerId, repoExists } from '../repo.js'
import { settingsFor, type Context, type Runtime } from '../session.js'
import { printable } from '../output.js'
import { formatSize } from '../units.js'
import { humanTime } from './renew.js'

export function registerStatus (program: Command, runtime: Runtime): void {
  program
    .command('status')
    .description('what the node for this repo is doing, or the repo\'s state when no node runs')
    .addHelpText('after', examples('veil status', 'veil --repo ./node1 status --json'))
    .action(async (_opts: object, cmd: Command) => { await showStatus(runtime.context(cmd)) })

  program
    .command('peers')
    .description('the peers the running node is connected to')
    .addHelpText('after', examples('veil peers', 'veil peers --json'))
    .action(async (_opts: object, cmd: Command) => {
      const ctx = runtime.context(cmd)
      const settings = await settingsFor(ctx, {}, { create: false })
      const daemon = await findDaemon(settings.repo)
      if (daemon === undefined) throw new NodeNotRunningError('listing peers', settings.repo)
      const { peers } = await daemon.client.peers({ signal: ctx.signal })
      ctx.out.result({ peers }, () => {
        if (peers.length === 0) ctx.out.note('no peers connected')
        for (const peer of peers) ctx.out.line(`${peer.id} ${peer.addresses.join(' ')}${peer.connections?.every(c => c.relayed) === true ? ' (relayed)' : ''}`)
      })
    })
}

export async function showStatus (ctx: Context): Promise<void> {
  // Looking never creates: a --repo that does not exist is reported as such.
  const settings = await settingsFor(ctx, {}, { create: false })
  const { repo } = settings
  const daemon = await findDaemon(repo)
  if (daemon !== undefined) {
    const status = await daemon.client.status({ signal: ctx.signal })
    ctx.out.result({ running: true, repo, pid: daemon.info.pid, api: daemon.info.url, ...status }, () => {
      const { out } = ctx
      out.line(`node       running (pid ${daemon.info.pid}), repo ${printable(repo)}`)
      out.line(`peer id    ${status.peerId}`)
      for (const address of status.addresses) out.line(`listening  ${address}`)
      out.line(`swarm      ${status.swarmId ?? 'public network'}`)
      out.line(`peers      ${status.peers} connected, ${status.dhtPeers} in the DHT`)
      out.line(`store      ${status.store.blocks} blocks, ${formatSize(status.store.bytes)}; ${status.announced} units announced`)
      if (status.storage !== undefined) {
        const s = status.storage
        out.line(`storage    ${formatSize(s.used)} of ${formatSize(s.capacity)} used; ${s.units} units (${s.expiredUnits} past their lease, kept while there is room), ${s.pinnedShares} pinned shares`)
        out.line(`pushers    each may use ${formatSize(s.perPeer)}${s.topPeers.length === 0 ? '' : `; most: ${s.topPeers.slice(0, 5).map(p => `${p.peer} ${formatSize(p.bytes)}`).join(', ')}`}`)
        out.line(`repair     ${passLine(s.lastRepair, r => `${r.units} units checked, ${r.underReplicated} under-replicated, ${r.copiesAdded} copies added`)}; backlog ${s.repairBacklog}`)
        out.line(`scrub      ${passLine(s.lastScrub, r => `${r.checked} blocks checked, ${r.corrupt} corrupt, ${r.refetched} fetched again`)}`)
        out.line(`collection ${passLine(s.lastGc, r => `${r.units} units and ${r.blocks} blocks (${formatSize(r.bytes)}) freed`)}`)
      }
      if (status.refusedConnections > 0) out.line(`refused    ${status.refusedConnections} connections (wrong or no swarm key, or not allowed)`)
    })
    return
  }

  const exists = await repoExists(repo)
  const peerId = await readPeerId(repo) ?? null
  const swarm = await loadSwarm(settings)
  const store = await storeSize(join(repo, 'store'))
  const document = {
    running: false,
    repo,
    exists,
    peerId,
    swarmId: swarm?.id ?? null,
    store,
    config: {
      listen: settings.listen,
      bootstrap: settings.bootstrap,
      storage: settings.storage ?? null,
      replicas: settings.replicas,
      swarmKey: settings.swarmKeyPath ?? null
    }
  }
  ctx.out.result(document, () => {
    const { out } = ctx
    out.line(`node       not running (start it with \`veil node start\`), repo ${printable(repo)}`)
    if (!exists) out.line('repo       does not exist yet: `veil init` (or any command that uses it) creates it')
    out.line(`peer id    ${peerId ?? '(none yet: created on first use)'}`)
    out.line(`swarm      ${swarm === undefined ? 'public network' : `${swarm.id} (key ${printable(swarm.path)})`}`)
    out.line(`store      ${store === null ? 'in use by another veil process' : `${store.blocks} blocks, ${formatSize(store.bytes)}`}`)
    out.line(`bootstrap  ${settings.bootstrap.length === 0 ? '(none)' : settings.bootstrap.join(' ')}`)
    out.line(`storage    ${settings.storage === undefined ? 'not a storage node' : formatSize(settings.storage)}; ${settings.replicas} copies per share`)
  })
}

/** When a pass last ran and what it did, or that it has not run yet. */
function passLine<T extends { at: number }> (pass: T | null | undefined, what: (pass: T) => string): string {
  if (pass === null || pass === undefined) return 'not run yet since the node started'
  return `${humanTime(new Date(pass.at).toISOString())}: ${what(pass)}`
}

/** The store's size, read offline; null when another process holds it open. */
async function storeSize (path: string): Promise<{ blocks: number, bytes: number } | null> {
  if (!await stat(path).then(info => info.isDirectory(), () => false)) return { blocks: 0, bytes: 0 }
  try {
    const { openBlockStore } = await import('../../blockstore/index.js')
    const store = await openBlockStore({ path })
    try {
      return await store.size()
    } finally {
      await store.close()
    }
  } catch {
    return null
  }
}
