import { describe, expect, it } from 'vitest';
import { brokerProperties, newKafkaClusterId, OFFSETS_TOPIC_PARTITIONS, offsetsPartitionFor, warmupGroupIds } from '../../../src/local/clusters/brokerConfig';
import { portsFrom } from '../../../src/local/clusters/settings';

describe('offsetsPartitionFor', () => {
  it('matches Kafka\'s Utils.abs(groupId.hashCode()) % partitions, including the Integer.MIN_VALUE hash', () => {
    // Prepare: values printed by Java 17 with kafka-clients 4.1.1 (and two seen in a broker log).
    const cases: Array<[string, number, number]> = [
      ['kbridge', 10, 0],
      ['polygenelubricants', 10, 0], // hashCode() == Integer.MIN_VALUE, which Utils.abs maps to 0
      ['kbridge-reader-c05757cc716d', 10, 4],
      ['kbridge-reader-c05757cc716d', 50, 14],
      ['esm-group-mx5a17np-af25eb', 10, 1],
      ['esm-group-mx5a17np-af25eb', 50, 41],
      ['grüße-✓', 50, 39],
    ];

    // Act
    const got = cases.map(([groupId, partitions]) => offsetsPartitionFor(groupId, partitions));

    // Assess
    expect(got).toEqual(cases.map(([, , partition]) => partition));
  });
});

describe('warmupGroupIds', () => {
  it('names one group for each __consumer_offsets partition of the local brokers', () => {
    // Act
    const ids = warmupGroupIds();

    // Assess
    expect(ids.map((id) => offsetsPartitionFor(id, OFFSETS_TOPIC_PARTITIONS))).toEqual([...Array(OFFSETS_TOPIC_PARTITIONS).keys()]);
    expect(ids.every((id) => id.startsWith('kbridge-local-warmup-'))).toBe(true);
    expect(brokerProperties({ ports: portsFrom(19092), dataDir: '/tmp/x' })).toContain(`offsets.topic.num.partitions=${OFFSETS_TOPIC_PARTITIONS}\n`);
  });
});

describe('newKafkaClusterId', () => {
  it('never starts with "-" (the storage tool would read it as an option) and is 22 base64url characters', () => {
    // Prepare — the first draw encodes to "-…" (0xf8 → "-" in base64url), the second does not.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x11)];

    // Act
    const id = newKafkaClusterId(() => draws.shift()!);

    // Assess
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
    expect(id).toBe(Buffer.alloc(16, 0x11).toString('base64url'));
    expect(draws).toHaveLength(0);
    for (let i = 0; i < 2000; i++) expect(newKafkaClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
