import type { S3Client } from '@aws-sdk/client-s3';
import { clientOf, lazyClient, lazyModule, type ClientSource } from '../adapters/aws/lazy';
import type { KafkaBatch, PartitionBatch } from '../event/types';
import type { SinkAdapter } from './deliver';
import { shapeRecord, type ShapeOptions } from './shape';
import type { BatchLimits, Entry, Reject, SinkDestination } from './types';
export { S3Limits } from './limits';

export interface S3SinkOptions extends ShapeOptions {
  bucket: string;
  /** Prepended as is, e.g. `kafka/` (no leading slash). */
  keyPrefix: string;
  limits: BatchLimits;
}

export interface S3ObjectPayload {
  key: string;
  body: string;
}

/**
 * The deterministic object key of one source partition batch:
 * `<prefix><topic>/<partition>/<firstOffset>-<lastOffset>.ndjson`, offsets zero-padded to 20 digits so
 * keys sort in offset order. A redelivered batch with the same range maps to the same key and overwrites.
 *
 * @example
 * ```ts
 * s3ObjectKey('raw/', 'orders', 3, 100n, 149n); // 'raw/orders/3/00000000000000000100-00000000000000000149.ndjson'
 * ```
 */
export function s3ObjectKey(prefix: string, topic: string, partition: number, first: bigint, last: bigint): string {
  const pad = (o: bigint): string => o.toString().padStart(20, '0');
  return `${prefix}${topic}/${partition}/${pad(first)}-${pad(last)}.ndjson`;
}

function objectFor(partition: PartitionBatch, options: S3SinkOptions, rejects: Reject[]): Entry<S3ObjectPayload> | undefined {
  const lines: string[] = [];
  const records = [];
  for (const record of partition.records) {
    const shaped = shapeRecord(record, options);
    if (!shaped.ok) {
      rejects.push({ record, reason: shaped.reason });
      continue;
    }
    lines.push(JSON.stringify(shaped.value));
    records.push(record);
  }
  const first = partition.records[0];
  const last = partition.records[partition.records.length - 1];
  if (records.length === 0 || !first || !last) return undefined;
  const body = `${lines.join('\n')}\n`;
  return {
    records,
    payload: { key: s3ObjectKey(options.keyPrefix, partition.topic, partition.partition, first.offset, last.offset), body },
    bytes: Buffer.byteLength(body, 'utf8'),
  };
}

// Loaded at the first send, not at module init (a chunk of its own: docs/deploy.md, "Lean bundles").
const s3Sdk = lazyModule(() => import('../adapters/aws/sdk/s3'));

/**
 * The S3 sink adapter: one NDJSON object per source partition batch (one JSON envelope per line), named
 * by {@link s3ObjectKey} from the whole delivered range, so a retry overwrites instead of duplicating.
 *
 * @example
 * ```ts
 * createS3Adapter({ bucket: 'lake', keyPrefix: 'kafka/', payloadFormat: 'json', keyFormat: 'text', limits: S3Limits }, s3);
 * ```
 */
export function createS3Adapter(options: S3SinkOptions, client: ClientSource<S3Client>): SinkAdapter<S3ObjectPayload> {
  return {
    kind: 's3',
    limits: options.limits,
    prepare: (batch: KafkaBatch) => {
      const rejects: Reject[] = [];
      const entries = batch.partitions
        .map((partition) => objectFor(partition, options, rejects))
        .filter((e): e is Entry<S3ObjectPayload> => e !== undefined);
      return { entries, rejects };
    },
    send: async (entries) => {
      const [{ PutObjectCommand }, s3] = await Promise.all([s3Sdk(), clientOf(client)]);
      for (const { payload } of entries) {
        await s3.send(
          new PutObjectCommand({ Bucket: options.bucket, Key: payload.key, Body: payload.body, ContentType: 'application/x-ndjson' }),
        );
      }
      return entries.map(() => ({ ok: true }) as const);
    },
  };
}

/** @example `createSinkLambda(s3Destination, process.env)` */
export const s3Destination: SinkDestination<'s3'> = {
  kind: 's3',
  open(config, aws, clients) {
    const client = lazyClient(async () => new (await s3Sdk()).S3Client(aws.s3), clients.s3);
    return { adapter: createS3Adapter(config, client.get) as SinkAdapter<unknown>, client };
  },
};
