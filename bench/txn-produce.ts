/**
 * Transactional-produce micro-benchmark of each Kafka adapter side by side: each client's own ceiling for the
 * bridge's write pattern. On a fresh topic of P partitions, one transactional producer per partition writes
 * transactions of N records (a key, 2 headers, a value of S bytes, acks all) back to back; records/s is counted
 * from the first begin to the last commit (producers connected and their InitProducerId done beforehand).
 * The adapters alternate within each run; the median of the runs per adapter and the ratio are printed.
 *
 *   npx tsx bench/txn-produce.ts [--partitions 8] [--records-per-txn 500] [--size 1024] [--transactions 25]
 *                                [--runs 3] [--clients kafkajs,platformatic]
 *
 * `--transactions` is per producer per run (default 25: 8 × 25 × 500 = 100,000 records a run). Uses the local
 * target cluster (`kbridge local up`, started or reused); every topic it creates is deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createKafkaClient, KafkaClientKinds, withKafkaAdmin, type KafkaClient, type KafkaClientKind, type OutgoingRecord, type StructuredLogger } from '../src/kafka';
import { localUp } from '../src/local/clusters/clusters';
import { resolveLocalSettings } from '../src/local/clusters/settings';

const { values } = parseArgs({
  options: {
    partitions: { type: 'string', default: '8' },
    'records-per-txn': { type: 'string', default: '500' },
    size: { type: 'string', default: '1024' },
    transactions: { type: 'string', default: '25' },
    runs: { type: 'string', default: '3' },
    clients: { type: 'string', default: KafkaClientKinds.join(',') },
  },
});
const partitions = Number(values.partitions);
const perTxn = Number(values['records-per-txn']);
const size = Number(values.size);
const transactions = Number(values.transactions);
const runs = Number(values.runs);
const clients = values.clients.split(',').map((c) => {
  if (!(KafkaClientKinds as readonly string[]).includes(c)) throw new Error(`--clients: "${c}" is not one of ${KafkaClientKinds.join(', ')}`);
  return c as KafkaClientKind;
});
for (const [name, value] of Object.entries({ partitions, 'records-per-txn': perTxn, size, transactions, runs })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name}: "${value}" is not a positive integer`);
}

const logger: StructuredLogger = { error: (m, ...e) => process.stderr.write(`${m} ${JSON.stringify(e)}\n`), warn: () => {}, info: () => {}, debug: () => {} };
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const { info } = await localUp(resolveLocalSettings(process.env));
const config = { name: 'target', bootstrapServers: info.target.bootstrapServers.split(','), auth: { type: 'none' as const } };
const kafka = new Map<KafkaClientKind, KafkaClient>();
for (const kind of clients) kafka.set(kind, await createKafkaClient(config, { client: kind, logger, logLevel: 'error' }));
const admin = kafka.get(clients[0] as KafkaClientKind) as KafkaClient;

// The records are built once: the benchmark measures the clients, not our record generation.
const value = randomBytes(size);
const batches: OutgoingRecord[][] = Array.from({ length: partitions }, (_, partition) =>
  Array.from({ length: perTxn }, (_, i) => ({
    key: `key-${partition}-${i}`,
    value,
    partition,
    headers: [
      { key: 'kbridge.source', value: Buffer.from(`orders/${partition}`) },
      { key: 'trace-id', value: randomBytes(16) },
    ],
  })),
);

const prefix = `bench-txn-${Date.now().toString(36)}`;
const created: string[] = [];

async function runOnce(kind: KafkaClientKind, run: number): Promise<number> {
  const client = kafka.get(kind) as KafkaClient;
  const topic = `${prefix}-${kind}-${run}`;
  await withKafkaAdmin(admin, (a) => a.createTopics([{ topic, numPartitions: partitions, replicationFactor: 1 }]));
  created.push(topic);
  const producers = await Promise.all(Array.from({ length: partitions }, (_, p) => client.transactionalProducer({ transactionalId: `${topic}-p${p}` })));
  try {
    // InitProducerId (and the first AddPartitionsToTxn) outside the timing.
    await Promise.all(producers.map(async (producer, p) => {
      const tx = await producer.begin();
      await tx.send(topic, [batches[p]?.[0] as OutgoingRecord]);
      await tx.commit();
    }));
    const started = process.hrtime.bigint();
    await Promise.all(
      producers.map(async (producer, p) => {
        for (let t = 0; t < transactions; t++) {
          const tx = await producer.begin();
          await tx.send(topic, batches[p] as OutgoingRecord[]);
          await tx.commit();
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return (partitions * transactions * perTxn) / seconds;
  } finally {
    await Promise.allSettled(producers.map((p) => p.close()));
  }
}

const results = new Map<KafkaClientKind, number[]>(clients.map((k) => [k, []]));
try {
  for (let run = 1; run <= runs; run++) {
    // Alternate which adapter goes first, so neither always meets a warmer or a busier broker.
    const order = run % 2 === 1 ? clients : [...clients].reverse();
    for (const kind of order) {
      const rate = await runOnce(kind, run);
      results.get(kind)?.push(rate);
      console.log(`run ${run} ${kind}: ${Math.round(rate).toLocaleString('en-US')} records/s`);
    }
  }
} finally {
  await withKafkaAdmin(admin, (a) => a.deleteTopics(created)).catch((err: unknown) => process.stderr.write(`cleanup failed: ${(err as Error).message}\n`));
}

console.log('');
console.log(`${partitions} partitions, one transactional producer each, ${transactions} transactions × ${perTxn} records × ${size} B (key, 2 headers, acks all) per producer per run; Kafka ${info.kafkaVersion}, Node ${process.version}, median of ${runs}`);
console.log('');
console.log('| adapter | records/s (median) | MB/s | runs |');
console.log('|---|---:|---:|---|');
for (const kind of clients) {
  const rates = results.get(kind) ?? [];
  const m = median(rates);
  console.log(`| ${kind} | ${Math.round(m).toLocaleString('en-US')} | ${((m * size) / 1e6).toFixed(1)} | ${rates.map((r) => Math.round(r).toLocaleString('en-US')).join(', ')} |`);
}
const [a, b] = clients;
if (a && b) console.log(`\n${b}/${a} ratio: ${(median(results.get(b) ?? []) / median(results.get(a) ?? [])).toFixed(2)}`);
