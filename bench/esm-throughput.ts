/**
 * Delivery throughput of the ESM emulator (records/s through a no-op handler) next to a plain kafkajs
 * consumer (eachBatch, no-op) on the same topic. Median of N runs each; every run uses a fresh consumer
 * group and is timed from start (connect + join included) to the last record delivered.
 *
 *   npx tsx bench/esm-throughput.ts [--records 200000] [--partitions 8] [--size 1024] [--runs 3]
 *
 * Uses the local source cluster (`kbridge local up`, started or reused).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { withAdmin, withProducer } from '../src/kafka/clients';
import { createKafka } from '../src/kafka/factory';
import type { StructuredLogger } from '../src/kafka/logging';
import { localUp } from '../src/local/clusters/clusters';
import { resolveLocalSettings } from '../src/local/clusters/settings';
import type { EsmMappingConfig } from '../src/local/esm/config';
import { EsmMapping } from '../src/local/esm/EsmMapping';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    partitions: { type: 'string', default: '8' },
    size: { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    /** Comma-separated subset of: plain, esm100, esm10000, esm100-pp, esm10000-pp (pp = one poller per partition). */
    cases: { type: 'string', default: 'plain,esm100,esm10000,esm100-pp,esm10000-pp' },
  },
});
const records = Number(values.records);
const partitions = Number(values.partitions);
const size = Number(values.size);
const runs = Number(values.runs);
const quiet: StructuredLogger = { error: (m, ...e) => process.stderr.write(`${m} ${JSON.stringify(e)}\n`), warn: () => {}, info: () => {}, debug: () => {} };

const { info } = await localUp(resolveLocalSettings(process.env));
const bootstrapServers = info.source.bootstrapServers.split(',');
const kafka = await createKafka({ name: 'bench', bootstrapServers, auth: { type: 'none' } }, { logger: quiet, logLevel: 'error' });
const topic = `bench-esm-${Date.now().toString(36)}`;
const suffix = (): string => randomBytes(4).toString('hex');

await withAdmin(kafka, (a) => a.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true }));
const value = randomBytes(size);
const produceStart = Date.now();
await withProducer(kafka, async (p) => {
  const chunk = 2000;
  for (let i = 0; i < records; i += chunk) {
    const n = Math.min(chunk, records - i);
    await p.send({ topic, acks: 1, messages: Array.from({ length: n }, (_, j) => ({ partition: (i + j) % partitions, key: `k${i + j}`, value })) });
  }
}, { idempotent: false }); // acks: 1, as a plain fast producer
process.stderr.write(`produced ${records} × ${size} B to ${topic} (${partitions} partitions) in ${((Date.now() - produceStart) / 1000).toFixed(1)} s\n`);

async function plainKafkajs(): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-plain-${suffix()}`, maxWaitTimeInMs: 100 });
  let seen = 0;
  const started = Date.now();
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      seen += batch.messages.length;
      if (seen >= records) done();
    },
  });
  await finished;
  const ms = Date.now() - started;
  await consumer.disconnect();
  return ms;
}

async function emulator(batchSize: number, pollers: number | 'per-partition'): Promise<number> {
  let seen = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const config: EsmMappingConfig = {
    id: 'bench-0', functionName: 'bench', handler: 'inline.noop', handlerModule: '/dev/null', handlerExport: 'noop',
    environment: {}, timeoutSeconds: 60, memorySize: 1024, region: 'us-east-1', eventSource: 'SelfManagedKafka',
    bootstrapServers, auth: { type: 'none' }, topic, consumerGroupId: `bench-esm-${suffix()}`, batchSize,
    maximumBatchingWindowSeconds: 0.5, startingPosition: 'TRIM_HORIZON', enabled: true, filterPatterns: [], maximumRetryAttempts: -1,
  };
  const mapping = new EsmMapping(config, {
    logger: quiet,
    kafkaDeps: { logLevel: 'error' },
    consumer: { maxWaitTimeInMs: 100 },
    pollers,
    handler: async (event: unknown) => {
      for (const list of Object.values((event as { records: Record<string, unknown[]> }).records)) seen += list.length;
      if (seen >= records) done();
    },
  });
  const started = Date.now();
  await mapping.start();
  await finished;
  const ms = Date.now() - started;
  await mapping.stop(10_000);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const allCases: Array<[string, string, () => Promise<number>]> = [
  ['plain', 'plain kafkajs consumer (eachBatch, no-op)', plainKafkajs],
  ['esm100', 'kbridge ESM emulator, batchSize 100 (Lambda default), one poller', () => emulator(100, 1)],
  ['esm10000', 'kbridge ESM emulator, batchSize 10000 (Lambda max), one poller', () => emulator(10_000, 1)],
  ['esm100-pp', 'kbridge ESM emulator, batchSize 100, one poller per partition', () => emulator(100, 'per-partition')],
  ['esm10000-pp', 'kbridge ESM emulator, batchSize 10000, one poller per partition', () => emulator(10_000, 'per-partition')],
];
const wanted = new Set(values.cases.split(','));
const cases = allCases.filter(([id]) => wanted.has(id)).map(([, name, fn]) => [name, fn] as const);
const rows: string[] = [];
for (const [name, fn] of cases) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    times.push(await fn());
    process.stderr.write(`${name}: run ${i + 1} ${times[times.length - 1]} ms\n`);
  }
  const m = median(times);
  rows.push(`| ${name} | ${(records / (m / 1000)).toFixed(0)} | ${(m / 1000).toFixed(2)} | ${times.map((t) => (t / 1000).toFixed(2)).join(', ')} |`);
}
await withAdmin(kafka, (a) => a.deleteTopics({ topics: [topic] }));
process.stdout.write(
  [
    `${records} records × ${size} B, ${partitions} partitions, Kafka ${info.kafkaVersion}, Node ${process.version}, median of ${runs}`,
    '',
    '| consumer | records/s (median) | seconds (median) | seconds (all runs) |',
    '|---|---:|---:|---|',
    ...rows,
    '',
  ].join('\n'),
);
