import type { Metrics } from '@libp2p/interface'
import type { RefusalLog } from './guarded-network.js'

/** libp2p counts every inbound connection that failed to upgrade under this name. */
const INBOUND_ERRORS = 'libp2p_connection_manager_dials_inbound_errors_total'

const noop = (): void => {}
const noopMetric = { update: noop, increment: noop, decrement: noop, reset: noop, observe: noop, timer: () => noop }

/**
 * A metrics sink that keeps only what Veil needs: libp2p's own count of
 * inbound connections that failed to upgrade. In a private swarm those are
 * the outsiders — no key (pnet times out or garbles the first bytes) or
 * another key (the encrypted handshake fails) — so the node can count and
 * log them without hooking libp2p's internals. Every other metric is dropped.
 */
export function refusalMetrics (log: RefusalLog): () => Metrics {
  return () => ({
    trackMultiaddrConnection: noop,
    trackProtocolStream: noop,
    registerMetric: (() => noopMetric) as unknown as Metrics['registerMetric'],
    registerMetricGroup: (() => noopMetric) as unknown as Metrics['registerMetricGroup'],
    registerCounter: (() => noopMetric) as unknown as Metrics['registerCounter'],
    registerCounterGroup: ((name: string) => name === INBOUND_ERRORS
      ? {
          increment: (values: Record<string, number | boolean>) => { log.refused(Object.keys(values).join(',')) },
          reset: noop
        }
      : noopMetric) as unknown as Metrics['registerCounterGroup'],
    registerHistogram: (() => noopMetric) as unknown as Metrics['registerHistogram'],
    registerHistogramGroup: (() => noopMetric) as unknown as Metrics['registerHistogramGroup'],
    registerSummary: (() => noopMetric) as unknown as Metrics['registerSummary'],
    registerSummaryGroup: (() => noopMetric) as unknown as Metrics['registerSummaryGroup'],
    traceFunction: ((_name: string, fn: unknown) => fn) as Metrics['traceFunction'],
    createTrace: () => undefined
  })
}
