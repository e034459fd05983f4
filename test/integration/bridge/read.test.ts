import { describe, expect, inject, it } from 'vitest';
import { readRanges } from '../../../src/bridge/read';
import { createKafka, createTopicsAndWait, withAdmin, withProducer } from '../../../src/kafka';
import { uniqueName } from '../../support/helpers';

const clusters = inject('clusters');

describe('readRanges', () => {
  it('ends with the callback\'s error at once (a record it cannot decode), not after the read timeout', async () => {
    // Prepare
    const kafka = await createKafka({ name: 'source', bootstrapServers: clusters.source.bootstrapServers.split(','), auth: { type: 'none' } }, { logLevel: 'nothing' });
    const topic = uniqueName('read-fail');
    await withAdmin(kafka, (admin) => createTopicsAndWait(admin, [{ topic, numPartitions: 1 }]));
    await withProducer(kafka, (p) => p.send({ topic, messages: [{ value: 'ok' }, { value: 'not an entry' }, { value: 'ok' }] }));
    const seen: string[] = [];
    const started = Date.now();

    // Act
    const read = readRanges(
      kafka,
      topic,
      new Map([[0, { from: 0n, to: 3n }]]),
      (_p, m) => {
        if (m.value?.toString() !== 'ok') throw new Error(`cannot decode offset ${m.offset}`);
        seen.push(m.offset);
      },
      { timeoutMs: 60_000 },
    );

    // Assess
    await expect(read).rejects.toThrow('cannot decode offset 1');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(seen).toEqual(['0']);
    await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [topic] }));
  });
});
