import { describe, expect, it } from 'vitest'
import type { FileHandle } from 'node:fs/promises'
import { BackgroundFlush } from '../../../src/exporter/background-flush.js'

/** A handle whose datasync calls are counted and finished by the test. */
function fakeHandle (): { handle: FileHandle, calls: () => number, finish: (err?: Error) => void } {
  const pending: Array<PromiseWithResolvers<void>> = []
  const handle = {
    async datasync () {
      const call = Promise.withResolvers<void>()
      pending.push(call)
      return await call.promise
    }
  } as unknown as FileHandle
  return {
    handle,
    calls: () => pending.length,
    finish: (err) => { const call = pending.at(-1)!; if (err === undefined) call.resolve(); else call.reject(err) }
  }
}

describe('BackgroundFlush', () => {
  it('runs one fdatasync at a time: kicks while one runs are absorbed, the next kick starts another', async () => {
    const fake = fakeHandle()
    const flush = new BackgroundFlush(fake.handle)
    flush.kick()
    flush.kick()
    flush.kick()
    expect(fake.calls()).toBe(1)
    fake.finish()
    await flush.settle()
    flush.kick()
    expect(fake.calls()).toBe(2)
    fake.finish()
    await flush.settle()
  })

  it('settle reports a failed background fdatasync, even after it finished', async () => {
    const fake = fakeHandle()
    const flush = new BackgroundFlush(fake.handle)
    flush.kick()
    fake.finish(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
    await flush.settle().catch(() => {})
    flush.kick()
    fake.finish()
    await expect(flush.settle()).rejects.toThrow(/EIO/)
  })

  it('settle with nothing running resolves', async () => {
    await new BackgroundFlush(fakeHandle().handle).settle()
  })
})
