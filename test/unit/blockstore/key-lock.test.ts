import { describe, expect, it } from 'vitest'
import { KeyLock } from '../../../src/blockstore/key-lock.js'

describe('KeyLock', () => {
  it('makes a second holder of a key wait for the first', async () => {
    const lock = new KeyLock()
    const order: string[] = []
    const releaseFirst = await lock.acquire(['a'])
    const second = lock.acquire(['a']).then(release => { order.push('second'); release() })
    await new Promise(resolve => setImmediate(resolve))
    order.push('first done')
    releaseFirst()
    await second
    expect(order).toEqual(['first done', 'second'])
    expect(lock.size).toBe(0)
  })

  it('lets work on other keys run at once', async () => {
    const lock = new KeyLock()
    const releaseA = await lock.acquire(['a'])
    const releaseB = await lock.acquire(['b'])
    expect(lock.size).toBe(2)
    releaseA()
    releaseB()
    releaseB() // a second release is harmless
    expect(lock.size).toBe(0)
  })

  it('never deadlocks on keys taken in opposite orders', async () => {
    const lock = new KeyLock()
    let inside = 0
    let most = 0
    const work = async (keys: string[]): Promise<void> => {
      const release = await lock.acquire(keys)
      inside++
      most = Math.max(most, inside)
      await new Promise(resolve => setImmediate(resolve))
      inside--
      release()
    }
    await Promise.all([work(['a', 'b']), work(['b', 'a']), work(['a', 'b', 'a']), work(['b'])])
    expect(most).toBe(1)
    expect(lock.size).toBe(0)
  })

  it('stops waiting when the signal aborts', async () => {
    const lock = new KeyLock()
    const release = await lock.acquire(['a'])
    const controller = new AbortController()
    const waiting = lock.acquire(['a'], { signal: controller.signal })
    controller.abort()
    // Rejects while the key is still held: an abort does not wait for the holder.
    await expect(waiting).rejects.toHaveProperty('name', 'AbortError')
    expect(lock.size).toBe(1)
    release()
    expect(lock.size).toBe(0)
  })
})
