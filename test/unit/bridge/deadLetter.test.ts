import { describe, expect, it } from 'vitest';
import { kafkaDeadLetterSink, type DeadLetter } from '../../../src/bridge/deadLetter';
import type { DeadLetterBody } from '../../../src/deadLetter/body';
import type { KafkaTransaction, OutgoingRecord } from '../../../src/kafka';
import { makeRecord } from '../sinks/support';

/** A transaction that only records what is sent in it (the real one is covered by test/integration/bridge). */
function recordingTransaction() {
  const sent: Array<{ topic: string; records: OutgoingRecord[] }> = [];
  const txn = {
    send: async (topic: string, records: readonly OutgoingRecord[]) => {
      sent.push({ topic, records: [...records] });
      return [];
    },
  } as unknown as KafkaTransaction;
  return { txn, sent };
}

describe('kafkaDeadLetterSink', () => {
  it('writes the shared body keyed by source coordinates, naming the target topic as destination', async () => {
    // Prepare
    const { txn, sent } = recordingTransaction();
    const letter: DeadLetter = {
      record: makeRecord({ offset: 42n, value: new Uint8Array(5000).fill(7) }),
      sourceCluster: 'onprem',
      targetTopic: 'orders-v2',
      reason: 'record-too-large',
      detail: 'record needs about 5100 bytes; orders-v2 accepts 3000 (max.message.bytes)',
    };
    // Act
    await kafkaDeadLetterSink({ topic: 'orders.dlq', maxMessageBytes: 4096 }).deliver([letter], txn);
    // Assess
    expect(sent).toHaveLength(1);
    expect(sent[0]?.topic).toBe('orders.dlq');
    const message = sent[0]?.records[0];
    expect(message?.key).toBe('onprem/orders/0/42');
    const value = String(message?.value ?? '');
    expect(Buffer.byteLength(value)).toBeLessThanOrEqual(4096);
    const body = JSON.parse(value || '{}') as DeadLetterBody;
    expect(body).toMatchObject({
      kbridge: 'dead-letter',
      v: 2,
      reason: 'record-too-large',
      source: { cluster: 'onprem', topic: 'orders', partition: 0, offset: '42' },
      destination: { kind: 'kafka', name: 'orders-v2' },
      truncated: true,
      valueBytes: 5000,
    });
    expect(Buffer.from(body.value ?? '', 'base64').every((b) => b === 7)).toBe(true);
  });

  it('sends nothing for no letters', async () => {
    const { txn, sent } = recordingTransaction();
    await kafkaDeadLetterSink({ topic: 'orders.dlq' }).deliver([], txn);
    expect(sent).toEqual([]);
  });
});
