/**
 * `veil keys ls | export <name> | import [file|-]`: the signing keys of the
 * repo's mutable links (`<repo>/keys/<name>`, mode 0600). An exported key
 * holds the secret that updates the link: it is written to a file (0600) or
 * stdout, and read back from a file or stdin, never from an argument.
 */
import { open } from 'node:fs/promises'
import type { Command } from 'commander'
import { InputError } from '../../errors.js'
import { UsageError } from '../errors.js'
import { examples } from '../options.js'
import { readLinkInput } from '../link-input.js'
import { settingsFor, type Context, type Runtime } from '../session.js'

export function registerKeys (program: Command, runtime: Runtime): void {
  const keys = program
    .command('keys')
    .description('the signing keys of this repo\'s mutable links: list, export, import')
    .addHelpText('after', examples('veil keys ls', 'veil keys export site -o site.key', 'veil keys import site.key'))

  keys
    .command('ls')
    .description('list the keys: name, current version and link')
    .addHelpText('after', examples('veil keys ls', 'veil keys ls --json'))
    .action(async (_flags: object, cmd: Command) => { await list(runtime.context(cmd)) })

  keys
    .command('export')
    .description('print a key as one line (it holds the secret that updates the link: keep it private), to import on another machine')
    .argument('<name>', 'the key\'s name')
    .option('-o, --output <file>', 'write it to this new file (mode 0600) instead of stdout')
    .addHelpText('after', examples('veil keys export site -o site.key', 'veil keys export site | ssh laptop veil keys import -'))
    .action(async (name: string, flags: { output?: string }, cmd: Command) => { await exportKey(runtime.context(cmd), name, flags.output) })

  keys
    .command('import')
    .description('add a key exported by `veil keys export` (from a file, or - for stdin)')
    .argument('<file>', 'the file holding the exported key, or - to read it from stdin')
    .option('--as <name>', 'a name for it in this repo (default: its own)')
    .option('--force', 'replace a key of the same name')
    .addHelpText('after', examples('veil keys import site.key', 'veil keys import - --as site2 < site.key'))
    .action(async (file: string, flags: { as?: string, force?: boolean }, cmd: Command) => { await importKey(runtime.context(cmd), file, flags) })
}

async function store (ctx: Context): Promise<InstanceType<typeof import('../../names/index.js').KeyStore>> {
  const { KeyStore } = await import('../../names/index.js')
  return new KeyStore((await settingsFor(ctx)).repo)
}

async function list (ctx: Context): Promise<void> {
  const keys = await (await store(ctx)).list()
  ctx.out.result({ keys: keys.map(k => ({ name: k.name, link: k.link, nameCid: k.nameCid.toString(), sequence: k.sequence, cid: k.root?.toString() ?? null })) }, () => {
    if (keys.length === 0) ctx.out.note('no keys yet: `veil publish <path> --as <name>` makes one')
    for (const key of keys) ctx.out.line(`${key.name.padEnd(16)} ${key.sequence === 0 ? 'unpublished' : `version ${key.sequence}`.padEnd(11)} ${key.link}`)
  })
}

async function exportKey (ctx: Context, name: string, output: string | undefined): Promise<void> {
  const text = await (await store(ctx)).export(name)
  if (output === undefined) {
    ctx.out.result({ name, key: text }, () => { ctx.out.line(text) })
    ctx.out.note('veil: this line holds the key\'s secret: whoever has it can update the link; keep it private')
    return
  }
  const handle = await open(output, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(err.code === 'EEXIST' ? `${output} already exists: choose another file` : `cannot write ${output}: ${err.message}`, { cause: err })
  })
  try {
    await handle.writeFile(text + '\n')
    await handle.sync()
  } finally {
    await handle.close()
  }
  ctx.out.result({ name, path: output }, () => { ctx.out.line(`exported "${name}" to ${output} (mode 0600): keep it private`) })
}

async function importKey (ctx: Context, file: string, flags: { as?: string, force?: boolean }): Promise<void> {
  if (file.startsWith('veil-key:')) throw new UsageError('give the exported key in a file or on stdin (-), never as an argument: arguments show in `ps` and shell history')
  // The same bounded reading as links: a file, or stdin's first line.
  const text = await readLinkInput(file === '-' ? { argument: '-' } : { file }, { signal: ctx.signal })
  const keys = await store(ctx)
  const key = await keys.import(text, { as: flags.as, force: flags.force === true })
  const { nameLink } = await import('../../names/index.js')
  ctx.out.result({ name: key.name, link: nameLink(key), sequence: key.sequence }, () => {
    ctx.out.line(`imported "${key.name}" (version ${key.sequence}): publishing under it updates ${nameLink(key)}`)
  })
}
