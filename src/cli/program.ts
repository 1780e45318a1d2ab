/**
 * The `veil` command line: commander wiring, global flags, signals and exit
 * codes. Commander never exits by itself (exitOverride); every outcome comes
 * back here and becomes 0 (ok), 1 (failure) or 2 (bad usage).
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Command, CommanderError } from 'commander'
import { VeilError } from '../errors.js'
import { defaultsPath } from './config-file.js'
import { InterruptedError } from './errors.js'
import { EXIT_OK, EXIT_USAGE, Output, oneLine, signalExitCode } from './output.js'
import type { Runtime } from './session.js'
import { registerInit } from './commands/init.js'
import { registerNode } from './commands/node.js'
import { registerShare } from './commands/share.js'
import { registerGet } from './commands/get.js'
import { registerLs } from './commands/ls.js'
import { registerPin } from './commands/pin.js'
import { registerRenew } from './commands/renew.js'
import { registerGc } from './commands/gc.js'
import { registerStatus } from './commands/status.js'
import { registerSwarm } from './commands/swarm.js'
import { registerPublish } from './commands/publish.js'
import { registerKeys } from './commands/keys.js'

export function buildProgram (signal: AbortSignal): Command {
  const program = new Command('veil')
  program
    .description('Veil: share files and folders as one link; a swarm of storage nodes keeps only ciphertext.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--repo <dir>', 'the repo folder: identity, store, config (default: $VEIL_HOME, else ~/.veil)')
    .option('--json', 'print one JSON document on stdout instead of text')
    .helpOption('-h, --help', 'show help for a command')
    // Every command's --help also lists --repo and --json (set before the commands: they inherit it).
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ outputError: () => {} }) // errors are printed once, by run()
    .showSuggestionAfterError(true)
    .addHelpText('after', `
Examples:
  $ veil node start --storage 50GiB
  $ veil share ./holiday.mkv
  $ veil get 'veil://bafy…#…' -o holiday.mkv
Run \`veil <command> --help\` for a command's flags.`)

  const runtime: Runtime = {
    context: (cmd) => {
      const globals = cmd.optsWithGlobals<{ repo?: string, json?: boolean }>()
      const json = globals.json === true
      return { out: new Output(json), signal, repoFlag: globals.repo, json }
    }
  }
  registerInit(program, runtime)
  registerNode(program, runtime)
  registerShare(program, runtime)
  registerPublish(program, runtime)
  registerKeys(program, runtime)
  registerGet(program, runtime)
  registerLs(program, runtime)
  registerPin(program, runtime)
  registerRenew(program, runtime)
  registerGc(program, runtime)
  registerStatus(program, runtime)
  registerSwarm(program, runtime)
  return program
}

/** Run the CLI on `argv` (without node and script); resolves with the exit code. */
export async function run (argv: string[]): Promise<number> {
  const controller = new AbortController()
  let signals = 0
  let received: NodeJS.Signals | undefined
  const onSignal = (name: NodeJS.Signals): void => {
    if (++signals === 1) {
      received = name
      controller.abort(new InterruptedError())
      // Whatever was running gets a while to stop cleanly, then the process goes.
      setTimeout(() => {
        process.stderr.write('veil: did not stop within 20 s of the signal; exiting now\n')
        process.exit(signalExitCode(name))
      }, 20_000).unref()
    } else {
      process.stderr.write(`veil: second ${name}: exiting without a clean shutdown\n`)
      process.exit(signalExitCode(name))
    }
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // A closed pipe on stdout (`veil get … -o - | head`) surfaces as a failed write, not a crash.
  process.stdout.on('error', () => {})

  const out = new Output(argv.includes('--json'))
  const program = buildProgram(controller.signal)
  try {
    await program.parseAsync(argv, { from: 'user' })
    return EXIT_OK
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err, argv, program)
    if (controller.signal.aborted) {
      // Stopped by Ctrl-C or SIGTERM: say so (with the command's own hint, if any) and exit as shells expect.
      out.error(err instanceof VeilError && err.name === 'InterruptedError' ? err : new InterruptedError())
      return signalExitCode(received ?? 'SIGINT')
    }
    return out.error(err)
  }
}

function commanderExit (err: CommanderError, argv: string[], program: Command): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK
  const path = commandPath(argv, program)
  if (err.code === 'commander.help') {
    // `veil` or `veil swarm` alone: the help went to stderr.
    return EXIT_USAGE
  }
  const message = oneLine(err.message.replace(/^error:\s*/i, ''))
  process.stderr.write(`veil: ${message}: see \`${['veil', ...path].join(' ')} --help\`\n`)
  return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE
}

/** The command names in argv (`node start`), for pointing at the right --help. */
function commandPath (argv: string[], program: Command): string[] {
  const path: string[] = []
  let current = program
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--repo') { i++; continue }
    if (arg.startsWith('-')) continue
    const next = current.commands.find(c => c.name() === arg || c.aliases().includes(arg))
    if (next === undefined) break
    path.push(next.name())
    current = next
  }
  return path
}

function packageVersion (): string {
  try {
    const pkg = JSON.parse(readFileSync(join(dirname(dirname(defaultsPath())), 'package.json'), 'utf8')) as { version?: string }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

