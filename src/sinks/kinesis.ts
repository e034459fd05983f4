import { createHash } from 'node:crypto';
import type { KinesisClient, PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { clientOf, lazyClient, lazyModule, type ClientSource } from '../adapters/aws/lazy';
import { partitionKey } from '../event/codec';
import type { KafkaBatch, SourceRecord } from '../event/types';
import { entriesPerRecord, type SinkAdapter } from './deliver';
import { decodeUtf8, shapeRecord, utf8Length, type ShapeOptions } from './shape';
import type { BatchLimits, SinkDestination } from './types';
export { KinesisLimits } from './limits';

export interface KinesisSinkOptions extends ShapeOptions {
  /** StreamARN or StreamName; the ARN wins when both are set. */
  streamArn?: string;
  streamName?: string;
  limits: BatchLimits;
}

/**
 * The partition key of one record: the Kafka key as text when it is valid UTF-8 of 1–256 characters
 * (Kinesis' limit), else the key's SHA-256 in hex — same key, same shard, either way. A null or empty
 * key falls back to `topic-partition`, so a keyless partition keeps its order on one shard.
 *
 * @example
 * ```ts
 * kinesisPartitionKey({ topic: 'orders', partition: 3, key: null }); // 'orders-3'
 * ```
 */
export function kinesisPartitionKey(record: Pick<SourceRecord, 'topic' | 'partition' | 'key'>): string {
  if (record.key === null || record.key.byteLength === 0) return partitionKey(record.topic, record.partition);
  const text = decodeUtf8(record.key);
  if (text !== undefined && [...text].length <= 256) return text;
  return createHash('sha256').update(record.key).digest('hex');
}

// Throttling and internal errors clear up; KMS key problems do not.
const PermanentKinesisCodes = new Set(['KMSAccessDeniedException', 'KMSDisabledException', 'KMSInvalidStateException', 'KMSNotFoundException', 'KMSOptInRequired']);

// Loaded at the first send, not at module init (a chunk of its own: docs/deploy.md, "Lean bundles").
const kinesisSdk = lazyModule(() => import('../adapters/aws/sdk/kinesis'));

/**
 * The Kinesis sink adapter: one record per Kafka record, data = the JSON envelope line (coordinates,
 * key, value, headers — Kinesis records have no attributes), partition key from the Kafka key.
 * Records that fail with a per-record `ErrorCode` are retried alone.
 *
 * @example
 * ```ts
 * createKinesisAdapter({ streamName: 'orders', payloadFormat: 'json', keyFormat: 'text', limits: KinesisLimits }, kinesis);
 * ```
 */
export function createKinesisAdapter(options: KinesisSinkOptions, client: ClientSource<KinesisClient>): SinkAdapter<PutRecordsRequestEntry> {
  const encoder = new TextEncoder();
  return {
    kind: 'kinesis',
    limits: options.limits,
    prepare: (batch: KafkaBatch) =>
      entriesPerRecord(batch, (record) => {
        const shaped = shapeRecord(record, options);
        if (!shaped.ok) return shaped.reason;
        const data = encoder.encode(JSON.stringify(shaped.value));
        const partitionKey = kinesisPartitionKey(record);
        return { payload: { Data: data, PartitionKey: partitionKey }, bytes: data.byteLength + utf8Length(partitionKey) };
      }),
    send: async (entries) => {
      const [{ PutRecordsCommand }, kinesis] = await Promise.all([kinesisSdk(), clientOf(client)]);
      const response = await kinesis.send(
        new PutRecordsCommand({
          ...(options.streamArn ? { StreamARN: options.streamArn } : { StreamName: options.streamName }),
          Records: entries.map((e) => e.payload),
        }),
      );
      return entries.map((_, i) => {
        const result = response.Records?.[i];
        if (result?.SequenceNumber && !result.ErrorCode) return { ok: true } as const;
        const code = result?.ErrorCode ?? 'MissingResult';
        return { ok: false, retriable: !PermanentKinesisCodes.has(code), reason: `${code}: ${result?.ErrorMessage ?? ''}`.trim() };
      });
    },
  };
}

/** @example `createSinkLambda(kinesisDestination, process.env)` */
export const kinesisDestination: SinkDestination<'kinesis'> = {
  kind: 'kinesis',
  open(config, aws, clients) {
    // Kinesis' default handler speaks HTTP/2 (for SubscribeToShard); PutRecords works over HTTP/1.1, which a local
    // endpoint such as moto requires.
    const client = lazyClient(async () => {
      const { KinesisClient, NodeHttpHandler } = await kinesisSdk();
      const requestHandler = aws.client.endpoint ? new NodeHttpHandler() : undefined;
      return new KinesisClient({ ...aws.client, ...(requestHandler ? { requestHandler } : {}) });
    }, clients.kinesis);
    return { adapter: createKinesisAdapter(config, client.get) as SinkAdapter<unknown>, client };
  },
};
