import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no network; `integration` (and e2e) share one pair of real local Kafka
// clusters and one moto server per run, brought up by the global setup (reused when already running).
export default defineConfig({
  test: {
    // 2-core machines: the brokers need CPU too. (Fork limits are root-level options in vitest 3; a project
    // may not set them.)
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/deploy/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/globalSetup.ts'],
          setupFiles: ['test/support/setupIntegration.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          pool: 'forks',
        },
      },
    ],
  },
});
