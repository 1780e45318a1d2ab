import type { AbortOptions } from '@libp2p/interface'
import type { Block } from '../blockstore/index.js'
import type { BlockSink, ResolvedImportOptions } from './options.js'

/**
 * Groups blocks into putMany batches (one LevelDB write each) and keeps a
 * bounded number of batches in flight, so sealing on this thread overlaps the
 * store's writes on libuv's threads without buffering without limit. The
 * first failure is rethrown by the next add/drain.
 */
export class BatchWriter {
  private batch: Block[] = []
  private readonly inFlight = new Set<Promise<void>>()
  private failure: { error: unknown } | undefined

  constructor (
    private readonly sink: BlockSink,
    private readonly config: Pick<ResolvedImportOptions, 'batchBlocks' | 'batchesInFlight' | 'sync'>,
    private readonly options: AbortOptions = {}
  ) {}

  async add (block: Block): Promise<void> {
    this.throwIfFailed()
    this.batch.push(block)
    if (this.batch.length >= this.config.batchBlocks) await this.dispatch()
  }

  /** Write what is buffered and wait for every batch in flight. */
  async drain (): Promise<void> {
    if (this.batch.length > 0) await this.dispatch()
    await Promise.allSettled([...this.inFlight])
    this.throwIfFailed()
  }

  /** Wait for in-flight writes without throwing (cleanup after an error). */
  async close (): Promise<void> {
    await Promise.allSettled([...this.inFlight])
  }

  private async dispatch (): Promise<void> {
    const blocks = this.batch
    this.batch = []
    while (this.inFlight.size >= this.config.batchesInFlight) {
      await Promise.race(this.inFlight)
      this.throwIfFailed()
    }
    const write = this.sink.putMany(blocks, { sync: this.config.sync, signal: this.options.signal })
      .catch((error: unknown) => { this.failure ??= { error } })
      .finally(() => { this.inFlight.delete(write) })
    this.inFlight.add(write)
  }

  private throwIfFailed (): void {
    if (this.failure !== undefined) throw this.failure.error
  }
}
