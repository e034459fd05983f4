import type { TestProject } from 'vitest/node';
import { localDown, localUp } from '../../src/local/clusters/clusters';
import { resolveLocalSettings } from '../../src/local/clusters/settings';
import { startMoto, stopMoto } from '../../src/local/moto';
import type { LocalAwsInfo, LocalClustersInfo } from '../../src/local/types';

declare module 'vitest' {
  export interface ProvidedContext {
    clusters: LocalClustersInfo;
    aws: LocalAwsInfo;
  }
}

/**
 * Integration-test global setup: start (or reuse) the two local Kafka clusters and the moto server once per
 * run and hand their addresses to every test file through `inject('clusters')` / `inject('aws')`.
 * Teardown stops only what this run started: during development the clusters are shared by every shell.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const settings = resolveLocalSettings(process.env);
  const log = (line: string): void => {
    process.stderr.write(`[local] ${line}\n`);
  };
  const started = Date.now();
  const [clusters, moto] = await Promise.all([localUp(settings, log), startMoto(settings, log)]);
  log(
    `clusters ${clusters.started.length > 0 ? `started (${clusters.started.join(', ')})` : 'reused'}, ` +
      `moto ${moto.started ? 'started' : 'reused'} in ${((Date.now() - started) / 1000).toFixed(1)} s (Kafka ${clusters.info.kafkaVersion})`,
  );
  project.provide('clusters', clusters.info);
  project.provide('aws', moto.aws);

  return async () => {
    if (moto.started) await stopMoto(settings);
    // Both were started together; a partial start (one reused) leaves the shared pair running.
    if (clusters.started.length === 2) await localDown(settings);
  };
}
