import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEnvironmentError } from '../../../src/errors';
import { localDown, localStatus, restartBroker, startBroker } from '../../../src/local/clusters/clusters';
import { resolveLocalSettings, type LocalSettings } from '../../../src/local/clusters/settings';
import { createKafkaClient, withKafkaProducer } from '../../../src/kafka';
import { consumeRecords, createTestTopic, privatePortBase, quietLogger, testKafkaClientKind } from '../../support/helpers';

// These tests start their own broker in a separate state dir on separate ports: restarting or breaking the
// shared clusters would disturb every other test file running at the same time.
describe('one broker in a private state dir', () => {
  let home: string;
  let settings: LocalSettings;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'kbridge-lifecycle-'));
    // Below Linux's ephemeral range (32768+), so no outgoing connection can be holding one of them.
    settings = resolveLocalSettings({ ...process.env, KBRIDGE_HOME: home, KBRIDGE_SOURCE_PORT: String(privatePortBase(23192)), KBRIDGE_TARGET_PORT: String(privatePortBase(23292)) });
  });

  afterAll(async () => {
    await localDown(settings);
    await rm(home, { recursive: true, force: true });
  });

  it('restartBroker keeps the data and serves it again under a new pid', async () => {
    // Prepare
    const info = await startBroker(settings, 'target');
    const before = await localStatus(settings);
    const kafka = await createKafkaClient({ name: 'target', bootstrapServers: [info.bootstrapServers], auth: { type: 'none' } }, { client: testKafkaClientKind(), logger: quietLogger, logLevel: 'nothing' });
    const topic = await createTestTopic(kafka, 1, 'restart');
    await withKafkaProducer(kafka, (p) => p.send(topic, [{ key: null, value: 'before-restart' }]));

    // Act
    await restartBroker(settings, 'target');

    // Assess
    const after = await localStatus(settings);
    expect(before.target.state).toBe('running');
    expect(after.target.state).toBe('running');
    expect(after.target.pid).not.toBe(before.target.pid);
    const seen = await consumeRecords(kafka, topic, 1);
    expect(seen.map((r) => r.value?.toString())).toEqual(['before-restart']);
  });

  it('a broker that exits during startup fails with its last log lines', async () => {
    // Prepare: a maximum heap below the initial heap makes the JVM refuse to start.
    const broken = { ...settings, brokerHeap: '1m' };
    await localDown(settings);

    // Act
    const starting = startBroker(broken, 'source');

    // Assess
    await expect(starting).rejects.toThrow(LocalEnvironmentError);
    await expect(starting).rejects.toThrow(/The source broker \(pid \d+\) exited during startup\. Last lines of .*broker\.log:\n.*heap/s);
  });
});
