import { defineConfig } from 'vitest/config';
import { KafkaClientKinds } from './src/kafka/port';
import { DEFAULT_KAFKA_CLIENT } from './src/kafka/select';

// Projects: `unit` needs no network; `integration` (with e2e and deploy) runs on the default Kafka client, and
// `integration-<other client>` runs the Kafka-touching tests again on each other adapter (issue 13: every adapter
// passes the whole suite). All share one pair of real local Kafka clusters and one moto server per run, brought
// up by the global setup (reused when already running). `KAFKA_CLIENT` set in the environment picks the adapter of
// the `integration` project.
const integrationBase = {
  environment: 'node' as const,
  globalSetup: ['test/support/globalSetup.ts'],
  setupFiles: ['test/support/setupIntegration.ts'],
  testTimeout: 120_000,
  hookTimeout: 180_000,
  pool: 'forks' as const,
};
const primary = (process.env.KAFKA_CLIENT?.trim() || DEFAULT_KAFKA_CLIENT) as (typeof KafkaClientKinds)[number];
const others = KafkaClientKinds.filter((kind) => kind !== primary);

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
          ...integrationBase,
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/deploy/**/*.test.ts'],
          env: { KAFKA_CLIENT: primary },
        },
      },
      ...others.map((kind) => ({
        test: {
          ...integrationBase,
          name: `integration-${kind}`,
          // The port conformance suite already covers every adapter itself; bundles are tested on the default.
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          // (So do the connection/auth tests: they run once per adapter inside the file.)
          exclude: ['test/integration/kafka/port.test.ts', 'test/integration/kafka/connections.test.ts', 'test/integration/kafka/tls.test.ts'],
          env: { KAFKA_CLIENT: kind },
        },
      })),
    ],
  },
});
