import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import { partitionEnds } from '../../../src/bridge/read';
import { Bridge } from '../../../src/bridge/replicate';
import { runKbridge } from '../../support/cli';
import { uniqueName, waitFor } from '../../support/helpers';
import { batchOf, connectClusters, createTopic, disconnectClusters, produce, readAll, sampleRecords, type TestClusters } from './support';

// The CLI over the clusters' SASL_SCRAM-SHA-512 listeners (not the PLAINTEXT ones): credentials from
// environment variables, from Secrets Manager secrets (moto), and a wrong password.
const clusters = inject('clusters');
const scram = { source: clusters.source.saslScram512, target: clusters.target.saslScram512 };
const topic = uniqueName('cli-auth');
const bridgeId = uniqueName('cab');
const group = uniqueName('cli-auth-g');
const cleanup: Array<() => Promise<unknown>> = [];
let secretArns: { source: string; target: string };
let connected: TestClusters | undefined;

interface LagJson {
  groups: Array<{ groupId: string; sumOffsetLag: string; partitions: Array<{ partition: number; committedOffset: string; offsetLag: string }> }>;
}

beforeAll(async () => {
  // Prepare (shared): a topic bridged to the target (PLAINTEXT, library calls), a group 4 records behind per partition,
  // and one Lambda-format {"username","password"} secret per cluster in moto.
  connected = await connectClusters();
  const { source, target, sourceAdmin, targetAdmin } = connected;
  await createTopic(sourceAdmin, topic, 2);
  await createTopic(targetAdmin, topic, 2);
  cleanup.push(() => sourceAdmin.deleteTopics([topic]), () => targetAdmin.deleteTopics([topic]));
  await produce(source, topic, sampleRecords(2, 10));
  const records = [...(await readAll(source, topic, new Map([[0, 10n], [1, 10n]]))).values()].flat();
  const bridge = new Bridge({ bridgeId, topicMapping: { kind: 'identity' }, provenanceHeaders: true }, { target });
  try {
    await bridge.replicateBatch(batchOf(records));
  } finally {
    await bridge.close();
  }
  await waitFor('commit markers on the target', async () => [...(await partitionEnds(targetAdmin, topic)).values()].every((e) => e.high === 11n));
  await sourceAdmin.commitGroupOffsets(group, [{ topic, partitions: [{ partition: 0, offset: '6' }, { partition: 1, offset: '6' }] }]);
  cleanup.push(() => sourceAdmin.deleteGroups([group]));

  const sm = new SecretsManagerClient(resolveAwsClientConfig(process.env).client);
  cleanup.push(async () => sm.destroy());
  const create = async (side: 'source' | 'target'): Promise<string> => {
    const name = uniqueName(`cli-auth-${side}`);
    const { ARN } = await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ username: scram[side].username, password: scram[side].password }) }));
    cleanup.push(() => sm.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })));
    return ARN as string;
  };
  secretArns = { source: await create('source'), target: await create('target') };
});

afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  await disconnectClusters(connected);
});

const verifyArgs = ['verify', '--source', scram.source.bootstrapServers, '--target', scram.target.bootstrapServers, '--topics', topic, '--bridge-id', bridgeId, '--json'];
const lagArgs = ['lag', '--bootstrap', scram.source.bootstrapServers, '--group', group, '--json'];

function expectVerified(result: { code: number; stdout: string; stderr: string }): void {
  expect(result.code, result.stderr).toBe(0);
  const report = JSON.parse(result.stdout) as { ok: boolean; partitions: Array<{ sourceCount: number; targetCount: number }> };
  expect(report.ok).toBe(true);
  expect(report.partitions.map((p) => [p.sourceCount, p.targetCount])).toEqual([[10, 10], [10, 10]]);
}

function expectLag(result: { code: number; stdout: string; stderr: string }): void {
  expect(result.code, result.stderr).toBe(0);
  const lag = JSON.parse(result.stdout) as LagJson;
  expect(lag.groups.map((g) => [g.groupId, g.sumOffsetLag])).toEqual([[group, '8']]);
  expect(lag.groups[0]?.partitions.map((p) => [p.partition, p.committedOffset, p.offsetLag])).toEqual([[0, '6', '4'], [1, '6', '4']]);
}

describe('kbridge CLI over SASL/SCRAM-SHA-512 (real brokers)', () => {
  it('verifies, syncs topics, translates offsets and measures lag with the user from a flag and the password from the environment', async () => {
    // Prepare
    const env = { SOURCE_PASSWORD: scram.source.password, TARGET_PASSWORD: scram.target.password, KAFKA_PASSWORD: scram.source.password };
    const sourceAuth = ['--source-auth', 'scram-sha-512', '--source-username', scram.source.username];
    const targetAuth = ['--target-auth', 'scram-sha-512', '--target-username', scram.target.username];

    // Act
    const [verified, synced, translated, lag] = await Promise.all([
      runKbridge([...verifyArgs, ...sourceAuth, ...targetAuth], { env }),
      runKbridge(['topics', 'sync', '--source', scram.source.bootstrapServers, '--target', scram.target.bootstrapServers, '--topics', topic, '--json', ...sourceAuth, ...targetAuth], { env }),
      runKbridge(['offsets', 'translate', '--group', group, '--source', scram.source.bootstrapServers, '--target', scram.target.bootstrapServers, '--bridge-id', bridgeId, '--json', ...sourceAuth, ...targetAuth], { env }),
      runKbridge([...lagArgs, '--auth', 'scram-sha-512', '--username', scram.source.username], { env }),
    ]);

    // Assess
    expectVerified(verified);
    expect(synced.code, synced.stderr).toBe(0);
    expect(JSON.parse(synced.stdout).topics).toEqual([expect.objectContaining({ sourceTopic: topic, action: 'exists', partitions: 2 })]);
    expect(translated.code, translated.stderr).toBe(0);
    expect((JSON.parse(translated.stdout).partitions as Array<{ partition: number; targetOffset: string }>).sort((a, b) => a.partition - b.partition).map((r) => r.targetOffset)).toEqual(['6', '6']);
    expectLag(lag);
  });

  it('reads the credentials from Secrets Manager secrets named in the Lambda variables (SOURCE_AUTH, SOURCE_SECRET_ARN, …)', async () => {
    // Prepare
    const env = {
      SOURCE_AUTH: 'scram-sha-512',
      SOURCE_SECRET_ARN: secretArns.source,
      TARGET_AUTH: 'SCRAM-SHA-512',
      TARGET_SECRET_ARN: secretArns.target,
    };

    // Act
    const [verified, lag] = await Promise.all([
      runKbridge(verifyArgs, { env }),
      runKbridge([...lagArgs, '--auth', 'scram-sha-512', '--secret-arn', secretArns.source]),
    ]);

    // Assess
    expectVerified(verified);
    expectLag(lag);
  });

  it('fails with a KafkaAuthError naming the cluster and mechanism, and no password in the output, when the password is wrong', async () => {
    // Prepare
    const wrong = `wrong-${scram.source.password.slice(0, 6)}-x9`;
    const env = { SOURCE_PASSWORD: wrong, TARGET_PASSWORD: scram.target.password, KAFKA_PASSWORD: wrong };

    // Act
    const [verified, lag] = await Promise.all([
      runKbridge([...verifyArgs, '--source-auth', 'scram-sha-512', '--source-username', scram.source.username, '--target-auth', 'scram-sha-512', '--target-username', scram.target.username], { env }),
      runKbridge([...lagArgs, '--auth', 'scram-sha-512', '--username', scram.source.username, '--cluster', 'onprem'], { env }),
    ]);

    // Assess
    expect(verified.code).toBe(3);
    expect(verified.stderr).toMatch(/kbridge: KafkaAuthError: Kafka cluster "source" during connect admin rejected SCRAM-SHA-512 authentication/);
    expect(lag.code).toBe(3);
    // The operation's wording ("connect", "connect admin") is the adapter's; cluster, mechanism and class are the contract.
    expect(lag.stderr).toMatch(/kbridge: KafkaAuthError: Kafka cluster "onprem" during connect( admin)? rejected SCRAM-SHA-512 authentication/);
    for (const output of [verified.stdout, verified.stderr, lag.stdout, lag.stderr]) {
      expect(output).not.toContain(wrong);
      expect(output).not.toContain(scram.source.password);
      expect(output).not.toContain(scram.target.password);
    }
  });

  it('exits 2 naming --source-secret-arn and SOURCE_SECRET_ARN when scram has neither a secret nor a user', async () => {
    // Act
    const result = await runKbridge([...verifyArgs, '--source-auth', 'scram-sha-512']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('kbridge: ConfigError: Invalid Kafka connection "source"');
    expect(result.stderr).toContain('--source-secret-arn/SOURCE_SECRET_ARN: is missing');
  });
});
