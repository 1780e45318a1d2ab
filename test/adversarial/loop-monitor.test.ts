import { describe, it, expect } from 'vitest'
import { LoopMonitor } from '../../scripts/adversarial/loop-monitor.js'

/** Keep this thread busy for `ms` of its own CPU time, however loaded the host is. */
function spin (ms: number): void {
  const start = process.cpuUsage()
  while (true) {
    const used = process.cpuUsage(start)
    if ((used.user + used.system) / 1000 >= ms) return
  }
}

describe('the loop monitor the adversarial target measures itself with', () => {
  it('sees a stall the thread causes itself as its own delay', async () => {
    const monitor = new LoopMonitor()
    monitor.start()
    await new Promise(resolve => setTimeout(resolve, 30))
    spin(300)
    await new Promise(resolve => setTimeout(resolve, 30))
    monitor.stop()
    expect(monitor.maxDelayMs).toBeGreaterThanOrEqual(280)
    expect(monitor.maxOwnDelayMs).toBeGreaterThanOrEqual(250)
    expect(monitor.maxOwnDelayMs).toBeLessThanOrEqual(monitor.maxDelayMs)
  })
})
