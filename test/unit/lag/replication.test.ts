import { describe, expect, it } from 'vitest';
import { bridgeGroupId, repartitionCheckpointGroupId } from '../../../src/bridge/replicate';
import type { ConfigError } from '../../../src/errors';
import { parseLagMonitorConfig, parseLagMonitorEnv, replicationRequestOf } from '../../../src/lag/config';
import { isDrained } from '../../../src/lag/drain';
import type { LagMetric } from '../../../src/lag/metrics';
import { runLagMonitor } from '../../../src/lag/monitor';
import { computeReplicationLag } from '../../../src/lag/replication';
import { PartitionFlag } from '../../../src/lag/types';
import { fakeReader, offsets, records } from './fakeReader';

const NOW = 1_700_000_000_000;
const now = (): number => NOW;
const MAP = '__kbridge_offset_map';

/** A source with a repartitioned topic `rp` (3 partitions) and a kept-partition topic `kept` (1 partition). */
function source(): ReturnType<typeof fakeReader> {
  return fakeReader({
    offsets: [offsets('kept', 0, 0n, 10n), offsets('rp', 0, 0n, 20n), offsets('rp', 1, 5n, 30n), offsets('rp', 2, 0n, 0n)],
    records: { 'kept:0': records(0n, 10n, NOW - 10_000), 'rp:0': records(0n, 20n, NOW - 20_000), 'rp:1': records(5n, 30n, NOW - 30_000) },
  });
}

describe('computeReplicationLag of a repartitioned topic', () => {
  it('reads each source partition checkpoint from its own group on offset-map partition 0', async () => {
    // Prepare
    const progress = fakeReader({
      committed: {
        [bridgeGroupId('dr')]: [{ topic: 'kept-v2', partition: 0, offset: 4n }],
        [repartitionCheckpointGroupId('dr', 'rp', 0)]: [{ topic: MAP, partition: 0, offset: 15n }],
        [repartitionCheckpointGroupId('dr', 'rp', 1)]: [{ topic: MAP, partition: 0, offset: 30n }],
      },
    });
    // Act
    const lag = await computeReplicationLag(
      { source: source(), progress },
      { bridgeId: 'dr', sourceTopics: ['rp', 'kept'], topicMapping: { rp: 'rp-v2', kept: 'kept-v2' }, repartitioned: ['rp'] },
      { now },
    );
    // Assess
    expect(lag.error).toBeUndefined();
    expect(lag.partitions.map((p) => [p.sourceTopic, p.targetTopic, p.partition, p.replicatedOffset, p.sourceEndOffset, p.offsetLag, p.timeLagMs])).toEqual([
      // Records are 1 ms apart from t0: the time lag is the age of the record at the checkpoint.
      ['kept', 'kept-v2', 0, 4n, 10n, 6n, 10_000 - 4],
      ['rp', 'rp-v2', 0, 15n, 20n, 5n, 20_000 - 15],
      ['rp', 'rp-v2', 1, 30n, 30n, 0n, 0],
      ['rp', 'rp-v2', 2, null, 0n, null, null],
    ]);
    expect(lag.partitions[3]!.flags).toContain(PartitionFlag.NoCommit);
    expect(lag.sumOffsetLag).toBe(11n);
    expect(lag.maxTimeLagMs).toBe(20_000 - 15);
  });

  it('uses the configured offset-map topic and names it when the checkpoint is elsewhere', async () => {
    // Prepare
    const progress = fakeReader({ committed: { [repartitionCheckpointGroupId('dr', 'rp', 0)]: [{ topic: MAP, partition: 0, offset: 15n }] } });
    const request = { bridgeId: 'dr', sourceTopics: ['rp'], repartitioned: ['rp'] };
    // Act
    const custom = await computeReplicationLag({ source: source(), progress }, { ...request, offsetMapTopic: 'my-map' }, { now });
    const byDefault = await computeReplicationLag({ source: source(), progress }, request, { now });
    // Assess
    expect(custom.partitions).toEqual([]);
    expect(custom.error).toMatch(/kbridge-bridge-dr\.repartition\.rp\.0 .* has commits on __kbridge_offset_map\[0\], not on my-map\[0\]; set offsetMapTopic/);
    expect(byDefault.partitions.map((p) => p.replicatedOffset)).toEqual([15n, null, null]);
  });

  it('does not read the kept-partition group when every topic is repartitioned, and asks one OffsetFetch per partition', async () => {
    // Prepare
    const asked: string[][] = [];
    const progress = { fetchCommittedOffsets: async (ids: string[]) => (asked.push(ids), new Map(ids.map((id) => [id, []]))) };
    // Act
    await computeReplicationLag({ source: source(), progress }, { bridgeId: 'dr', sourceTopics: ['rp'], repartitioned: ['rp'] }, { now });
    // Assess
    expect(asked).toEqual([[0, 1, 2].map((p) => repartitionCheckpointGroupId('dr', 'rp', p))]);
  });

  it('satisfies the drain predicate once every repartitioned partition is checkpointed at its end', async () => {
    // Prepare
    const progress = fakeReader({
      committed: Object.fromEntries([[0, 20n], [1, 30n], [2, 0n]].map(([p, o]) => [repartitionCheckpointGroupId('dr', 'rp', p as number), [{ topic: MAP, partition: 0, offset: o as bigint }]])),
    });
    const request = { bridgeId: 'dr', sourceTopics: ['rp'], repartitioned: ['rp'] };
    // Act
    const samples = [];
    for (const atMs of [NOW, NOW + 1000]) {
      const replication = await computeReplicationLag({ source: source(), progress }, request, { now: () => atMs });
      samples.push({ atMs, groups: [], replication });
    }
    const result = isDrained(samples, { minSamples: 2, minWindowMs: 1000, requireReplication: true });
    // Assess
    expect(result.reasons).toEqual(['a sample has no group']);
    expect(samples[1]!.replication.partitions.map((p) => p.offsetLag)).toEqual([0n, 0n, 0n]);
  });
});

describe('lag monitor configuration with the bridge TOPIC_MAPPING', () => {
  const bridge = { bridgeId: 'dr', sourceCluster: 'source', targetCluster: 'target', sourceTopics: ['rp', 'kept'] };
  const clusters = [{ name: 'source', groups: ['g'] }, { name: 'target', groups: ['g'] }];

  it('turns an inline bridgeTopicMapping into target names and repartitioned topics', () => {
    // Act
    const config = parseLagMonitorConfig({ clusters, bridges: [{ ...bridge, bridgeTopicMapping: { prefix: 'dr.', repartition: ['rp'] }, offsetMapTopic: 'm' }] });
    // Assess
    expect(replicationRequestOf(config.bridges[0]!)).toEqual({
      bridgeId: 'dr',
      sourceTopics: ['rp', 'kept'],
      offsetMapTopic: 'm',
      topicMapping: { rp: 'dr.rp', kept: 'dr.kept' },
      repartitioned: ['rp'],
    });
  });

  it('reads the mapping from the named variable with the bridge parser', () => {
    // Prepare
    const env = {
      LAG_MONITOR_CONFIG: JSON.stringify({ clusters, bridges: [{ ...bridge, bridgeTopicMappingVariable: 'TOPIC_MAPPING' }] }),
      TOPIC_MAPPING: '{"repartition":"all"}',
    };
    // Act
    const request = replicationRequestOf(parseLagMonitorEnv(env).bridges[0]!);
    // Assess
    expect(request).toMatchObject({ topicMapping: { rp: 'rp', kept: 'kept' }, repartitioned: ['rp', 'kept'] });
  });

  it('names the field and the expectation for every bad mapping', () => {
    const config = (b: object): string => JSON.stringify({ clusters, bridges: [{ ...bridge, ...b }] });
    expect(() => parseLagMonitorEnv({ LAG_MONITOR_CONFIG: config({ bridgeTopicMappingVariable: 'TOPIC_MAPPING' }) })).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: expect.stringMatching(/bridges\.0\.bridgeTopicMappingVariable names TOPIC_MAPPING, which is not set; expected the bridge's TOPIC_MAPPING/) }) as ConfigError,
    );
    expect(() => parseLagMonitorEnv({ LAG_MONITOR_CONFIG: config({ bridgeTopicMappingVariable: 'TM' }), TM: '{"map":{"rp":"x"},"repartition":["kept"]}' })).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: expect.stringMatching(/TM\.repartition\.0: "kept" is not a source topic of "map"/) }) as ConfigError,
    );
    expect(() => parseLagMonitorEnv({ LAG_MONITOR_CONFIG: config({ bridgeTopicMappingVariable: 'TM' }), TM: '{"map":{"rp":"x"}}' })).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/source topic "kept" has no entry in "map" \(expected one of: rp\)/) }) as ConfigError,
    );
    expect(() => parseLagMonitorConfig(JSON.parse(config({ bridgeTopicMapping: { map: { rp: 'x' } } })))).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/bridges\.0\.bridgeTopicMapping\.map: source topic "kept" has no entry/) }) as ConfigError,
    );
    expect(() => parseLagMonitorConfig(JSON.parse(config({ topicMapping: { rp: 'x' }, bridgeTopicMapping: 'identity' })))).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/bridges\.0\.bridgeTopicMapping: give one of .* not "topicMapping" and "bridgeTopicMapping"/) }) as ConfigError,
    );
    expect(() => parseLagMonitorConfig(JSON.parse(config({ bridgeTopicMapping: { repartition: [] } })))).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/bridges\.0\.bridgeTopicMapping\.repartition: expected at least one source topic \(or "all"\)/) }) as ConfigError,
    );
  });

  it('refuses to guess when the variable was not resolved (parsed without the environment)', () => {
    const config = parseLagMonitorConfig({ clusters, bridges: [{ ...bridge, bridgeTopicMappingVariable: 'TOPIC_MAPPING' }] });
    expect(() => replicationRequestOf(config.bridges[0]!)).toThrow(/bridgeTopicMappingVariable TOPIC_MAPPING was not resolved/);
  });

  it('publishes ReplicationLag and ReplicationTimeLag for a repartitioned topic', async () => {
    // Prepare
    const config = parseLagMonitorConfig({ clusters, bridges: [{ ...bridge, sourceTopics: ['rp'], bridgeTopicMapping: { repartition: ['rp'] } }] });
    const progress = fakeReader({ committed: { [repartitionCheckpointGroupId('dr', 'rp', 1)]: [{ topic: MAP, partition: 0, offset: 10n }] } });
    const published: LagMetric[] = [];
    // Act
    const report = await runLagMonitor(config, {
      readers: new Map([['source', source()], ['target', progress]]),
      publish: async (m) => (published.push(...m), { requests: 1 }),
      now,
    });
    // Assess
    expect(report.bridges).toEqual([{ bridgeId: 'dr', sumOffsetLag: '20', maxTimeLagMs: 30_000 - 5 }]);
    const replication = published.filter((m) => m.name.startsWith('Replication')).map((m) => [m.name, m.value, m.dimensions.map((d) => d.value)]);
    expect(replication).toEqual([
      ['ReplicationLag', 20, ['source', 'dr', 'rp']],
      ['ReplicationTimeLag', 29.995, ['source', 'dr', 'rp']],
    ]);
  });
});
