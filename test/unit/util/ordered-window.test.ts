import { describe, it, expect } from 'vitest'
import { setTimeout as pause } from 'node:timers/promises'
import { orderedWindow } from '../../../src/util/index.js'

/** `count` tasks that each take a few ms; records how many ran at once and which started in the same tick. */
function tracked (count: number): { tasks: Array<() => Promise<number>>, peak: () => number, ticks: number[][] } {
  let running = 0
  let peak = 0
  let tick = 0
  const ticks: number[][] = []
  const tasks = Array.from({ length: count }, (_, i) => async () => {
    // Tasks started in the same synchronous run share a tick number.
    if (ticks.length === 0 || ticks[ticks.length - 1]![0] !== tick) ticks.push([tick])
    ticks[ticks.length - 1]!.push(i)
    queueMicrotask(() => { tick++ })
    running++
    peak = Math.max(peak, running)
    await pause(1 + (i * 7) % 5)
    running--
    return i
  })
  return { tasks, peak: () => peak, ticks }
}

async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const value of source) out.push(value)
  return out
}

describe('orderedWindow', () => {
  it('yields in input order with at most `width` tasks running', async () => {
    const { tasks, peak } = tracked(30)
    expect(await collect(orderedWindow(tasks, 6))).toEqual(Array.from({ length: 30 }, (_, i) => i))
    expect(peak()).toBeLessThanOrEqual(6)
  })

  it('with refill, starts tasks `refill` at a time in one tick, never more than `width` at once', async () => {
    const { tasks, peak, ticks } = tracked(40)
    expect(await collect(orderedWindow(tasks, 16, 8))).toEqual(Array.from({ length: 40 }, (_, i) => i))
    expect(peak()).toBeLessThanOrEqual(16)
    // 40 tasks: five groups of 8, each started together (a fetch's blocks then share WANTs).
    expect(ticks.map(group => group.length - 1)).toEqual([8, 8, 8, 8, 8])
  })

  it('refilled one at a time (the default), each task starts on its own once the window is full', async () => {
    const { tasks, ticks } = tracked(20)
    await collect(orderedWindow(tasks, 4))
    expect(ticks.slice(1).every(group => group.length - 1 === 1)).toBe(true)
    expect(ticks.length).toBeGreaterThanOrEqual(17)
  })

  it('starts a last, short group and handles fewer tasks than the window', async () => {
    for (const count of [0, 1, 5, 8, 9, 17]) {
      const { tasks, peak } = tracked(count)
      expect(await collect(orderedWindow(tasks, 8, 4))).toEqual(Array.from({ length: count }, (_, i) => i))
      expect(peak()).toBeLessThanOrEqual(8)
    }
  })

  it('refuses a refill of 0 or wider than the window', async () => {
    await expect(collect(orderedWindow([], 4, 0))).rejects.toThrow(RangeError)
    await expect(collect(orderedWindow([], 4, 5))).rejects.toThrow(RangeError)
  })
})
