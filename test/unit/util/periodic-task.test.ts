import { describe, it, expect, vi, afterEach } from 'vitest'
import { PeriodicTask } from '../../../src/util/index.js'

afterEach(() => { vi.useRealTimers() })

describe('PeriodicTask', () => {
  it('never runs two passes at once, and stop() aborts the pass under way and waits for it', async () => {
    vi.useFakeTimers()
    let passes = 0
    let finish: (() => void) | undefined
    let seen: AbortSignal | undefined
    const errors: unknown[] = []
    const task = new PeriodicTask(async signal => {
      passes++
      seen = signal
      await new Promise<void>(resolve => { finish = resolve })
      throw new Error('after stop: not reported')
    }, 100, err => { errors.push(err) })
    task.start()
    await vi.advanceTimersByTimeAsync(350)
    expect(passes).toBe(1)
    const stopped = task.stop()
    expect(seen?.aborted).toBe(true)
    let done = false
    void stopped.then(() => { done = true })
    await Promise.resolve()
    expect(done).toBe(false)
    finish?.()
    await stopped
    expect(errors).toEqual([])
    await vi.advanceTimersByTimeAsync(1_000)
    expect(passes).toBe(1)
  })

  it('reports a failed pass and runs again at the next tick', async () => {
    vi.useFakeTimers()
    const errors: unknown[] = []
    let passes = 0
    const task = new PeriodicTask(async () => { passes++; throw new Error(`pass ${passes}`) }, 100, err => { errors.push((err as Error).message) })
    task.start()
    await vi.advanceTimersByTimeAsync(250)
    await task.stop()
    expect(errors).toEqual(['pass 1', 'pass 2'])
  })
})
