import type { DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { AwsServiceError } from '../../errors';
import type { SampleStore } from '../../lag/sampleStore';
import type { GroupSample } from '../../lag/status';
import { clientOf, lazyModule, type ClientSource } from './lazy';

// Loaded at the first load/save, not at module init (a chunk of its own: docs/deploy.md, "Lean bundles").
const dynamoDbSdk = lazyModule(() => import('./sdk/dynamodb'));

/** DynamoDB item size limit is 400 KB; windows larger than this drop their oldest samples. */
const MAX_ITEM_BYTES = 350_000;

/**
 * The DynamoDB adapter of {@link SampleStore}: one item per group, `{ pk: "<cluster>#<group>", samples: "<JSON>" }`.
 * Chosen over reading CloudWatch back because the status rules need per-partition committed offsets, which we do
 * not publish (cost), and over SSM because one window of a 1,000-partition group is far beyond SSM's 8 KB.
 * The monitor is the only writer (run it with reserved concurrency 1), so no conditional writes are needed.
 * `client` may be a getter (`lazyClient(…).get`): the client is then created at the first load or save.
 *
 * @example
 * ```ts
 * const store = createDynamoSampleStore(new DynamoDBClient(aws.client), 'kbridge-lag-samples');
 * ```
 */
export function createDynamoSampleStore(client: ClientSource<DynamoDBClient>, tableName: string): SampleStore {
  const wrap = (what: string, err: unknown): AwsServiceError =>
    new AwsServiceError(`DynamoDB ${what} on ${tableName} failed: ${(err as Error).message}`, {
      cause: err,
      retriable: (err as { $fault?: string }).$fault !== 'client',
      table: tableName,
    });
  return {
    async load(keys) {
      const [{ BatchGetItemCommand }, dynamoDb] = await Promise.all([dynamoDbSdk(), clientOf(client)]);
      const result = new Map<string, GroupSample[]>();
      for (let i = 0; i < keys.length; i += 100) {
        let request: Record<string, { Keys: Record<string, { S: string }>[] }> | undefined = {
          [tableName]: { Keys: [...new Set(keys.slice(i, i + 100))].map((k) => ({ pk: { S: k } })) },
        };
        for (let attempt = 0; request && attempt < 5; attempt++) {
          let out;
          try {
            out = await dynamoDb.send(new BatchGetItemCommand({ RequestItems: request }));
          } catch (err) {
            throw wrap('BatchGetItem', err);
          }
          for (const item of out.Responses?.[tableName] ?? []) {
            const pk = item.pk?.S;
            const samples = item.samples?.S;
            if (pk && samples) result.set(pk, JSON.parse(samples) as GroupSample[]);
          }
          const rest: unknown[] | undefined = out.UnprocessedKeys?.[tableName]?.Keys;
          request = rest && rest.length > 0 ? { [tableName]: { Keys: rest as Record<string, { S: string }>[] } } : undefined;
        }
      }
      return result;
    },
    async save(entries) {
      const [{ BatchWriteItemCommand }, dynamoDb] = await Promise.all([dynamoDbSdk(), clientOf(client)]);
      const writes: WriteRequest[] = [...entries].map(([pk, samples]) => {
        let window = samples;
        let json = JSON.stringify(window);
        while (json.length > MAX_ITEM_BYTES && window.length > 1) {
          window = window.slice(1);
          json = JSON.stringify(window);
        }
        return { PutRequest: { Item: { pk: { S: pk }, samples: { S: json }, updatedAt: { N: String(Date.now()) } } } };
      });
      for (let i = 0; i < writes.length; i += 25) {
        let pending: WriteRequest[] = writes.slice(i, i + 25);
        for (let attempt = 0; pending.length > 0 && attempt < 5; attempt++) {
          try {
            const out = await dynamoDb.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
            pending = out.UnprocessedItems?.[tableName] ?? [];
          } catch (err) {
            throw wrap('BatchWriteItem', err);
          }
        }
        if (pending.length > 0) throw new AwsServiceError(`DynamoDB kept ${pending.length} sample windows unprocessed on ${tableName}`, { retriable: true, table: tableName });
      }
    },
  };
}
