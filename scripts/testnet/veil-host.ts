/**
 * The `veil` CLI run inside a testnet host (a namespace): daemons that keep
 * running (`node start`) and commands run to completion, each bounded in time.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'
import type { Host, Testnet } from './netns.js'

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

export interface RunResult { code: number | null, stdout: string, stderr: string, ms: number }

export interface VeilDaemon {
  host: Host
  repo: string
  proc: ChildProcess
  addresses: string[]
  stderr: () => string
  /** SIGTERM, then SIGKILL after 10 s; resolves on exit. */
  stop: () => Promise<void>
  kill: () => Promise<void>
}

/** Run `veil <args>` in `host` until it exits (killed after `timeoutMs`). */
export async function veil (net: Testnet, host: Host, args: string[], timeoutMs = 120_000, env: Record<string, string> = {}): Promise<RunResult> {
  const started = Date.now()
  const child = net.spawn(host.ns, [process.execPath, CLI, ...args], env)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
  const code = await new Promise<number | null>(resolve => { child.once('close', (c) => { resolve(c) }) })
  clearTimeout(timer)
  return { code, stdout, stderr, ms: Date.now() - started }
}

/** `veil node start` in `host`, listening on its address; resolves once it prints its addresses. */
export async function startDaemon (net: Testnet, host: Host, repo: string, args: string[], env: Record<string, string> = {}, port = 4001): Promise<VeilDaemon> {
  const child = net.spawn(host.ns, [process.execPath, CLI, '--repo', repo, 'node', 'start', '--listen', `/ip4/${host.ip}/tcp/${port}`, '--no-upnp', ...args], env)
  let stdout = ''
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-20_000) })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`${host.name}: no "listening" line within 90 s: ${stderr.trim().slice(-500)}`)) }, 90_000)
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
      if (/^listening /m.test(stdout)) { clearTimeout(timer); resolve() }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${host.name}: veil node start exited (${code}): ${stderr.trim().slice(-500)}`)) })
  })
  const addresses = (JSON.parse(await readFile(join(repo, 'api.json'), 'utf8')) as { addresses: string[] }).addresses
  const exited = new Promise<void>(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => { resolve() })
  })
  return {
    host,
    repo,
    proc: child,
    addresses,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM')
      const timer = setTimeout(() => { child.kill('SIGKILL') }, 10_000)
      await exited
      clearTimeout(timer)
    },
    kill: async () => {
      child.kill('SIGKILL')
      await exited
    }
  }
}

/** Wait until `check()` is true, looking every `everyMs`, at most `timeoutMs`; returns the ms it took. */
export async function until (what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 500): Promise<number> {
  const started = Date.now()
  for (;;) {
    if (await check()) return Date.now() - started
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}
