import { describe, expect, it } from 'vitest';
import { withKafkaAdmin, withKafkaProducer } from '../../../src/kafka';
import { createTestTopic, localKafkaClient } from '../../support/helpers';

describe('KafkaClient.readRanges (as the bridge reads the offset map)', () => {
  it('ends with the callback\'s error at once (a record it cannot decode), not after the read timeout', async () => {
    // Prepare
    const kafka = await localKafkaClient('source');
    const topic = await createTestTopic(kafka, 1, 'read-fail');
    await withKafkaProducer(kafka, (p) => p.send(topic, [{ key: null, value: 'ok' }, { key: null, value: 'not an entry' }, { key: null, value: 'ok' }]));
    const seen: string[] = [];
    const started = Date.now();

    // Act
    const read = kafka.readRanges(
      topic,
      new Map([[0, { from: 0n, to: 3n }]]),
      (r) => {
        if (r.value?.toString() !== 'ok') throw new Error(`cannot decode offset ${r.offset}`);
        seen.push(r.offset.toString());
      },
      { timeoutMs: 60_000 },
    );

    // Assess
    await expect(read).rejects.toThrow('cannot decode offset 1');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(seen).toEqual(['0']);
    await withKafkaAdmin(kafka, (admin) => admin.deleteTopics([topic]));
  });
});
