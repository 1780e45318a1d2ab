export { VeilMetrics, type VeilMetricsInit } from './veil-metrics.js'
export { MetricsServer, METRICS_LIMITS } from './server.js'
