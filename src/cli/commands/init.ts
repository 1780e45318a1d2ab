import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from 'commander'
import { CONFIG_FILE } from '../config-file.js'
import { IDENTITY_FILE } from '../repo.js'
import { settingsFor, type Runtime } from '../session.js'
import { examples } from '../options.js'

export function registerInit (program: Command, runtime: Runtime): void {
  program
    .command('init')
    .description('create the repo (identity and config); other commands do this on first use too')
    .addHelpText('after', examples('veil init', 'veil --repo ./node1 init'))
    .action(async (_opts: object, cmd: Command) => {
      const ctx = runtime.context(cmd)
      const settings = await settingsFor(ctx)
      const repo = settings.repo
      const existed = await exists(join(repo, IDENTITY_FILE))
      const [{ loadOrCreateIdentity }, { peerIdFromPrivateKey }] = await Promise.all([import('../../identity/index.js'), import('@libp2p/peer-id')])
      const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(repo)).toString()
      const config = join(repo, CONFIG_FILE)
      if (!await exists(config)) await writeFile(config, '{}\n', { flag: 'wx' }).catch(() => {})
      ctx.out.result({ repo, peerId, created: !existed }, () => {
        ctx.out.line(existed ? `${repo} is already a Veil repo` : `created the Veil repo ${repo}`)
        ctx.out.line(`peer id ${peerId}`)
      })
    })
}

async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}
