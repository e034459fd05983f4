import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { KafkaAuthError } from '../../../src/errors';
import { localStatus, localUp } from '../../../src/local/clusters/clusters';
import { resolveLocalSettings } from '../../../src/local/clusters/settings';
import type { ClusterName, LocalClusterInfo } from '../../../src/local/types';
import { createKafkaClient, withKafkaAdmin, withKafkaProducer, type KafkaClient, type KafkaConnectionConfig } from '../../../src/kafka';
import { consumeRecords, createTestTopic, quietLogger, testKafkaClientKind, uniqueName } from '../../support/helpers';

const run = promisify(execFile);
const clusters = inject('clusters');
const closers: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close().catch(() => {})));
});

function kafkaFor(info: LocalClusterInfo, listener: 'plaintext' | 'scram', retries?: number): Promise<KafkaClient> {
  const config: KafkaConnectionConfig =
    listener === 'plaintext'
      ? { name: 'local', bootstrapServers: info.bootstrapServers.split(','), auth: { type: 'none' } }
      : {
          name: 'local',
          bootstrapServers: info.saslScram512.bootstrapServers.split(','),
          auth: { type: 'sasl-inline', mechanism: 'scram-sha-512', username: info.saslScram512.username, password: info.saslScram512.password },
        };
  return createKafkaClient({ ...config, clientId: uniqueName('local-test') }, {
    client: testKafkaClientKind(),
    logger: quietLogger,
    logLevel: 'nothing',
    ...(retries !== undefined ? { retries } : {}),
  });
}

/** Create a topic, produce `values`, and read them back with a fresh group; returns what was read. */
async function roundTrip(kafka: KafkaClient, values: string[]): Promise<string[]> {
  const topic = await createTestTopic(kafka, 1, 'local-roundtrip');
  await withKafkaProducer(kafka, (p) => p.send(topic, values.map((value) => ({ key: 'k', value }))));
  const records = await consumeRecords(kafka, topic, values.length);
  return records.map((r) => r.value?.toString() ?? '<null>');
}

async function kbridge(args: string[], env: NodeJS.ProcessEnv = process.env) {
  try {
    const { stdout, stderr } = await run('node', ['bin/kbridge.mjs', ...args], { env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe.each(['source', 'target'] as ClusterName[])('the local %s cluster', (name) => {
  it.each(['plaintext', 'scram'] as const)('produces and consumes over %s with the provided connection info', async (listener) => {
    // Prepare
    const kafka = await kafkaFor(clusters[name], listener);
    const values = ['one', 'two', 'three'];

    // Act
    const seen = await roundTrip(kafka, values);

    // Assess
    expect(seen).toEqual(values);
  });

  it('rejects a wrong SCRAM password', async () => {
    // Prepare
    const info = clusters[name];
    const kafka = await kafkaFor({ ...info, saslScram512: { ...info.saslScram512, password: 'wrong-password' } }, 'scram', 0);

    // Act
    const listing = withKafkaAdmin(kafka, (admin) => admin.listTopics());

    // Assess
    await expect(listing).rejects.toThrow(KafkaAuthError);
    await expect(listing).rejects.toThrow(/rejected SCRAM-SHA-512 authentication/);
  });
});

describe('kbridge local', () => {
  const settings = resolveLocalSettings(process.env);

  it('up reuses the running clusters: same pids, and --json prints exactly the provided LocalClustersInfo', async () => {
    // Prepare
    const before = await localStatus(settings);

    // Act
    const again = await localUp(settings);
    const cli = await kbridge(['local', 'up', '--json', '--no-aws']);
    const after = await localStatus(settings);

    // Assess
    expect(again.started).toEqual([]);
    expect(again.reused).toEqual(['source', 'target']);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toStrictEqual(clusters);
    expect(Object.keys(JSON.parse(cli.stdout)).sort()).toEqual(['kafkaVersion', 'source', 'target']);
    expect(after.source.pid).toBe(before.source.pid);
    expect(after.target.pid).toBe(before.target.pid);
    expect(before.source.pid).toBeTypeOf('number');
  });

  it('status --json reports both clusters running with their addresses and no credentials', async () => {
    // Act
    const cli = await kbridge(['local', 'status', '--json']);

    // Assess
    expect(cli.code).toBe(0);
    const status = JSON.parse(cli.stdout) as Record<string, Record<string, unknown>>;
    for (const name of ['source', 'target'] as const) {
      expect(status[name]).toMatchObject({
        name,
        state: 'running',
        pid: expect.any(Number),
        kafkaVersion: clusters.kafkaVersion,
        bootstrapServers: clusters[name].bootstrapServers,
        saslScram512BootstrapServers: clusters[name].saslScram512.bootstrapServers,
      });
    }
    expect(status.aws).toMatchObject({ state: 'running', endpoint: inject('aws').endpoint });
    expect(cli.stdout).not.toContain(clusters.source.saslScram512.password);
    expect(cli.stdout).not.toContain(clusters.target.saslScram512.password);
  });

  it('up fails with exit 3 and names the port, the cluster and the variable when a port is taken', async () => {
    // Prepare: a throwaway listener on the would-be ports, and a separate state dir so the shared clusters stay untouched.
    const servers: Server[] = [];
    const listen = (port: number) =>
      new Promise<number>((resolve, reject) => {
        const server = createServer();
        servers.push(server);
        server.once('error', reject);
        server.listen({ port, host: '127.0.0.1' }, () => resolve((server.address() as { port: number }).port));
      });
    const taken = await listen(0);
    let takenTarget = await listen(0);
    // Ranges of three ports must not overlap, or the settings (rightly) refuse before any port is probed.
    while (Math.abs(takenTarget - taken) < 3) takenTarget = await listen(0);
    closers.push(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
    const home = await mkdtemp(join(tmpdir(), 'kbridge-port-test-'));
    closers.push(() => rm(home, { recursive: true, force: true }));
    const env = { ...process.env, KBRIDGE_HOME: home, KBRIDGE_SOURCE_PORT: String(taken), KBRIDGE_TARGET_PORT: String(takenTarget) };

    // Act
    const cli = await kbridge(['local', 'up', '--no-aws'], env);

    // Assess
    expect(cli.code).toBe(3);
    expect(cli.stderr).toMatch(
      new RegExp(
        `LocalEnvironmentError: Port (${taken} \\(the source|${takenTarget} \\(the target) cluster's plaintext listener\\) is already in use by another process.*KBRIDGE_(SOURCE|TARGET)_PORT=<base port>`,
      ),
    );
  });
});
