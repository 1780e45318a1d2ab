import type { Metrics } from '@libp2p/interface'
import type { RefusalLog } from './guarded-network.js'

/** libp2p counts every inbound connection that failed to upgrade under this name (see refusal-metrics.ts). */
const INBOUND_ERRORS = 'libp2p_connection_manager_dials_inbound_errors_total'

interface CounterGroup { increment: (values: Record<string, number | boolean>) => void, reset: () => void }

/**
 * A full metrics implementation (the Prometheus exporter) that still tells
 * the node's refusal log about every inbound connection that failed to
 * upgrade — what `refusalMetrics` alone does when metrics are off.
 */
export function tapRefusals (metrics: (components: any) => Metrics, log: RefusalLog): (components: any) => Metrics {
  return (components) => {
    const inner = metrics(components)
    return new Proxy(inner, {
      get: (target, property) => {
        if (property === 'registerCounterGroup') {
          return (name: string, options?: unknown): CounterGroup => {
            const group = (target.registerCounterGroup as unknown as (n: string, o?: unknown) => CounterGroup)(name, options)
            if (name !== INBOUND_ERRORS) return group
            return {
              increment: (values: Record<string, number | boolean>) => {
                log.refused(Object.keys(values).join(','))
                group.increment(values)
              },
              reset: () => { group.reset() }
            }
          }
        }
        const value = Reflect.get(target, property, target) as unknown
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      }
    })
  }
}
