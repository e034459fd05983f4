import type { S3Client } from '@aws-sdk/client-s3';
import type { AuditLog, AuditRecord } from '../../ports/auditLog';
import type { AwsClientConfig } from './clientConfig';
import { awsCallError } from './configStore';
import { lazyClient, lazyModule } from './lazy';

const s3Sdk = lazyModule(() => import('./sdk/s3'));

/** Key prefix of the audit in its bucket unless configured (CUTOVER_AUDIT_PREFIX). */
export const DEFAULT_AUDIT_PREFIX = 'cutovers/';

/**
 * The AWS {@link AuditLog}: one S3 object per record, `<prefix><cutoverId>/<epoch ms, 15 digits>-<seq>-<step>.json`,
 * so a listing returns them in append order and a record is never rewritten (bucket versioning / object lock
 * make the trail tamper-evident).
 *
 * @example
 * ```ts
 * const audit = createS3AuditLog(resolveAwsClientConfig(process.env), { bucket: 'kbridge-audit' });
 * ```
 */
export function createS3AuditLog(config: AwsClientConfig, options: { bucket: string; prefix?: string; client?: S3Client }): AuditLog & { close(): void } {
  const client = lazyClient(async () => new (await s3Sdk()).S3Client(config.s3), options.client);
  const prefix = options.prefix ?? DEFAULT_AUDIT_PREFIX;
  let seq = 0;
  return {
    close: () => client.destroy(),
    async append(record: AuditRecord) {
      const at = String(Date.parse(record.at) || Date.now()).padStart(15, '0');
      seq = (seq + 1) % 1_000_000;
      const key = `${prefix}${record.cutoverId}/${at}-${String(seq).padStart(6, '0')}-${record.step}-${record.event}.json`;
      try {
        const [{ PutObjectCommand }, s3] = await Promise.all([s3Sdk(), client.get()]);
        await s3.send(new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: JSON.stringify(record), ContentType: 'application/json' }));
      } catch (err) {
        throw awsCallError('s3', 'PutObject', `${options.bucket}/${key}`, err);
      }
    },
    async list(cutoverId: string) {
      const keys: string[] = [];
      let token: string | undefined;
      try {
        const [{ ListObjectsV2Command }, s3] = await Promise.all([s3Sdk(), client.get()]);
        do {
          const out = await s3.send(new ListObjectsV2Command({ Bucket: options.bucket, Prefix: `${prefix}${cutoverId}/`, ContinuationToken: token }));
          for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
          token = out.IsTruncated ? out.NextContinuationToken : undefined;
        } while (token);
      } catch (err) {
        throw awsCallError('s3', 'ListObjectsV2', `${options.bucket}/${prefix}${cutoverId}/`, err);
      }
      keys.sort();
      const records: AuditRecord[] = [];
      for (const key of keys) {
        try {
          const [{ GetObjectCommand }, s3] = await Promise.all([s3Sdk(), client.get()]);
          const out = await s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
          records.push(JSON.parse((await out.Body?.transformToString()) ?? 'null') as AuditRecord);
        } catch (err) {
          throw awsCallError('s3', 'GetObject', `${options.bucket}/${key}`, err);
        }
      }
      return records;
    },
  };
}
