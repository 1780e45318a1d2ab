import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // The Promise.withResolvers shim must load before libp2p in every worker.
    setupFiles: ['test/setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real nodes; keep the 2-core machine from thrashing.
    pool: 'forks',
    maxWorkers: 2
  }
})
