/**
 * The "internal error: the command stopped with work unfinished" fault: 2 of
 * 20 light-client shares on a loaded machine ended with it right after their
 * units were placed. Traced (every pending AbortSignal.timeout recorded at
 * 'beforeExit'): the process was in libp2p.stop(), whose connection manager
 * waits on each connection's close with AbortSignal.timeout(500) — a timer
 * that does not keep Node's event loop alive — and with its sockets idle
 * nothing else did, so the process ran dry mid-stop. VeilNode.stop() now
 * keeps the loop alive while libp2p stops. This test runs that shape of stop
 * in a process of its own.
 */
import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const SCRIPT = fileURLToPath(new URL('./fixtures/stop-on-deadline.mjs', import.meta.url))

describe('VeilNode.stop', () => {
  it('finishes a stop that waits only on an AbortSignal.timeout deadline instead of letting the process run dry', async () => {
    const result = await new Promise<{ code: number | null, stdout: string, stderr: string }>((resolve) => {
      execFile(process.execPath, [SCRIPT], { timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : (err as { code?: number }).code ?? null, stdout, stderr })
      })
    })
    expect(result.stdout.trim(), result.stderr).toBe('stopped')
    expect(result.code).toBe(0)
  })
})
