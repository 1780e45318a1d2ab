import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // The Promise.withResolvers shim must load before libp2p in every worker.
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real nodes; keep the 2-core machine from thrashing.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'node', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/browser/**'] } },
      // Chromium takes both cores while it runs: after everything else, so the
      // timing budgets of the adversarial suite never share the machine with it.
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], sequence: { groupOrder: 1 } } }
    ]
  }
})
