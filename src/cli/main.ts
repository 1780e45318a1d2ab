#!/usr/bin/env node
/**
 * The `veil` binary. The platform shim must load before anything that
 * imports libp2p (Node 20 lacks Promise.withResolvers), so it comes first.
 */
import '../platform/index.js'
import { run } from './program.js'
import { exitWith } from './output.js'

// The event loop ran dry while a command was still waiting on something that
// can no longer happen: say so (Node would exit with 13 and no message).
process.once('beforeExit', () => {
  process.stderr.write('veil: internal error: the command stopped with work unfinished; this is a bug, please report it (run with DEBUG=veil* for details)\n')
  process.exit(1)
})

await exitWith(await run(process.argv.slice(2)))
