import { describe, expect, inject, it } from 'vitest';
import { withKafkaAdmin, withKafkaProducer } from '../../../src/kafka';
import { runKbridge } from '../../support/cli';
import { createTestTopic, localKafkaClient, uniqueName } from '../../support/helpers';

const clusters = inject('clusters');

describe('kbridge lag --watch', () => {
  it('prints one JSON line per sample and the status builds up over the window (a stopped group: OK until 3 samples, then STOP)', async () => {
    // Prepare — 5 records, the group committed at 2 and has no members: lag 3 that never moves.
    const kafka = await localKafkaClient('source');
    const topic = await createTestTopic(kafka, 1, 'lag-watch');
    const group = uniqueName('lag-watch-group');
    await withKafkaProducer(kafka, (p) => p.send(topic, ['a', 'b', 'c', 'd', 'e'].map((value) => ({ key: null, value }))));
    await withKafkaAdmin(kafka, (admin) => admin.commitGroupOffsets(group, [{ topic, partitions: [{ partition: 0, offset: '2' }] }]));

    // Act
    const result = await runKbridge(['lag', '--bootstrap', clusters.source.bootstrapServers, '--group', group, '--watch', '--samples', '3', '--interval', '1', '--json']);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { groups: Array<{ groupId: string; status: string; sumOffsetLag: string; partitions: Array<{ committedOffset: string; offsetLag: string }> }> });
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line.groups).toHaveLength(1);
      expect(line.groups[0]).toMatchObject({ groupId: group, sumOffsetLag: '3', partitions: [{ committedOffset: '2', offsetLag: '3' }] });
    }
    expect(lines.map((l) => l.groups[0]!.status)).toEqual(['OK', 'OK', 'STOP']);
    await withKafkaAdmin(kafka, async (admin) => {
      await admin.deleteGroups([group]);
      await admin.deleteTopics([topic]);
    });
  });
});
