import type { FileHandle } from 'node:fs/promises'

/**
 * fdatasync in the background: `kick` starts one unless one is already
 * running (the next kick catches up), `settle` waits for the one running and
 * reports its failure. The handle must not be closed before `settle`.
 */
export class BackgroundFlush {
  private running?: Promise<void>
  private failure?: unknown

  constructor (private readonly handle: FileHandle) {}

  kick (): void {
    if (this.running !== undefined) return
    this.running = this.handle.datasync()
      .catch(err => { this.failure ??= err })
      .finally(() => { this.running = undefined })
  }

  async settle (): Promise<void> {
    await this.running
    if (this.failure !== undefined) throw this.failure
  }
}
