/**
 * Delivery throughput of the ESM emulator (records/s through a no-op handler) next to a plain group consumer
 * (no-op `onBatch`) of the same Kafka client, on the same topic, for each adapter. Two handlers: `wire` reads
 * `event.records` (every record built in Lambda's wire shape: base64 key and value, headers as byte arrays, as any
 * handler that reads the event pays), `decode` decodes the event as this project's functions do
 * (`decodeKafkaEvent`: the records as the emulator fetched them, no base64 either way). Median of N runs each; every
 * run uses a fresh consumer group and is timed from start (connect + join included) to the last record delivered.
 * The ratio columns are the emulator against the plain consumer of the same adapter (target: >= 0.8), from start and
 * in steady state (records/s between 10 % and 90 % delivered: without the group join and the batching window's tail),
 * and the process's CPU per record (all threads, GC included; the steadiest figure on a noisy 2-core machine, where
 * the broker shares the cores). Runs are interleaved: round by round, each case once per round.
 *
 *   npx tsx bench/esm-throughput.ts [--records 200000] [--partitions 8] [--size 1024] [--runs 3]
 *                                   [--clients kafkajs,platformatic] [--cases plain,esm100,esm10000,esm100-pp,esm10000-pp]
 *                                   [--handlers wire,decode] [--max-queued <records per partition>]
 *
 * Uses the local source cluster (`kbridge local up`, started or reused).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createKafkaClient, KafkaClientKinds, withKafkaAdmin, withKafkaProducer, type KafkaClient, type KafkaClientKind, type StructuredLogger } from '../src/kafka';
import { localUp } from '../src/local/clusters/clusters';
import { resolveLocalSettings } from '../src/local/clusters/settings';
import type { EsmMappingConfig } from '../src/local/esm/config';
import { EsmMapping } from '../src/local/esm/EsmMapping';
import { decodeKafkaEvent } from '../src/event/codec';
import { steadyRate } from './support/steadyRate';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    partitions: { type: 'string', default: '8' },
    size: { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    clients: { type: 'string', default: KafkaClientKinds.join(',') },
    /** Comma-separated subset of: plain, esm100, esm10000, esm100-pp, esm10000-pp (pp = one poller per partition). */
    cases: { type: 'string', default: 'plain,esm100,esm10000,esm100-pp,esm10000-pp' },
    /** Comma-separated subset of: wire (reads event.records), decode (decodeKafkaEvent, as the project's functions). */
    handlers: { type: 'string', default: 'wire,decode' },
    /** The emulator's per-partition queue before it pauses fetching (default: max(2 × batchSize, 1000) records). */
    'max-queued': { type: 'string' },
  },
});
const records = Number(values.records);
const partitions = Number(values.partitions);
const size = Number(values.size);
const runs = Number(values.runs);
const clients = values.clients.split(',').map((c) => {
  if (!(KafkaClientKinds as readonly string[]).includes(c)) throw new Error(`--clients: "${c}" is not one of ${KafkaClientKinds.join(', ')}`);
  return c as KafkaClientKind;
});
const quiet: StructuredLogger = { error: (m, ...e) => process.stderr.write(`${m} ${JSON.stringify(e)}\n`), warn: () => {}, info: () => {}, debug: () => {} };

const { info } = await localUp(resolveLocalSettings(process.env));
const bootstrapServers = info.source.bootstrapServers.split(',');
const clientOf = (kind: KafkaClientKind): Promise<KafkaClient> => createKafkaClient({ name: 'bench', bootstrapServers, auth: { type: 'none' } }, { logger: quiet, logLevel: 'error', client: kind });
const filler = await clientOf(clients[0] as KafkaClientKind);
const topic = `bench-esm-${Date.now().toString(36)}`;
const suffix = (): string => randomBytes(4).toString('hex');

await withKafkaAdmin(filler, (a) => a.createTopics([{ topic, numPartitions: partitions, replicationFactor: 1 }]));
const value = randomBytes(size);
const produceStart = Date.now();
await withKafkaProducer(
  filler,
  async (p) => {
    const chunk = 2000;
    for (let i = 0; i < records; i += chunk) {
      const n = Math.min(chunk, records - i);
      await p.send(topic, Array.from({ length: n }, (_, j) => ({ partition: (i + j) % partitions, key: `k${i + j}`, value })));
    }
  },
  { idempotent: false, acks: 1 }, // a plain fast producer
);
process.stderr.write(`produced ${records} × ${size} B to ${topic} (${partitions} partitions) in ${((Date.now() - produceStart) / 1000).toFixed(1)} s\n`);

/** One run: from start (connect + join included) to the last record, and the steady rate between 10 % and 90 %. */
interface Run {
  ms: number;
  steadyPerSecond: number;
  /** This process's CPU (user + system, all threads: GC included) per record, from start to the last record. */
  cpuUsPerRecord: number;
}

async function plainConsumer(kafka: KafkaClient): Promise<Run> {
  const consumer = kafka.consumer({ groupId: `bench-plain-${suffix()}`, topics: [topic], fromBeginning: true, maxWaitTimeMs: 100 });
  let seen = 0;
  const samples: Array<[number, number]> = [];
  const started = Date.now();
  const cpu = process.cpuUsage();
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  await consumer.start({
    onBatch: (batch) => {
      seen += batch.records.length;
      samples.push([Date.now(), seen]);
      if (seen >= records) done();
    },
  });
  await finished;
  const ms = Date.now() - started;
  const used = process.cpuUsage(cpu);
  await consumer.close();
  return { ms, steadyPerSecond: steadyRate(samples, records), cpuUsPerRecord: (used.user + used.system) / records };
}

type HandlerKind = 'wire' | 'decode';
const handlerKinds = values.handlers.split(',').map((h) => {
  if (h !== 'wire' && h !== 'decode') throw new Error(`--handlers: "${h}" is not one of wire, decode`);
  return h as HandlerKind;
});

/** Records in the event: through `event.records` (Lambda's wire shape), or decoded as the project's handlers do. */
function countOf(event: unknown, how: HandlerKind): number {
  let n = 0;
  if (how === 'wire') for (const list of Object.values((event as { records: Record<string, unknown[]> }).records)) n += list.length;
  else for (const p of decodeKafkaEvent(event).partitions) n += p.records.length;
  return n;
}

async function emulator(kind: KafkaClientKind, batchSize: number, pollers: number | 'per-partition', how: HandlerKind): Promise<Run> {
  let seen = 0;
  const samples: Array<[number, number]> = [];
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
    kafkaDeps: { logLevel: 'error', client: kind },
    consumer: { maxWaitTimeMs: 100 },
    pollers,
    ...(values['max-queued'] ? { maxQueuedPerPartition: Number(values['max-queued']) } : {}),
    handler: async (event: unknown) => {
      seen += countOf(event, how);
      samples.push([Date.now(), seen]);
      if (seen >= records) done();
    },
  });
  const started = Date.now();
  const cpu = process.cpuUsage();
  await mapping.start();
  await finished;
  const ms = Date.now() - started;
  const used = process.cpuUsage(cpu);
  await mapping.stop(10_000);
  return { ms, steadyPerSecond: steadyRate(samples, records), cpuUsPerRecord: (used.user + used.system) / records };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const wanted = new Set(values.cases.split(','));
const rows: string[] = [];
for (const kind of clients) {
  const kafka = await clientOf(kind);
  const emulatorCases: Array<[string, string, number, number | 'per-partition']> = [
    ['esm100', 'ESM emulator, batchSize 100 (Lambda default), one poller', 100, 1],
    ['esm10000', 'ESM emulator, batchSize 10000 (Lambda max), one poller', 10_000, 1],
    ['esm100-pp', 'ESM emulator, batchSize 100, one poller per partition', 100, 'per-partition'],
    ['esm10000-pp', 'ESM emulator, batchSize 10000, one poller per partition', 10_000, 'per-partition'],
  ];
  const allCases: Array<[string, string, () => Promise<Run>]> = [
    ['plain', 'plain group consumer (onBatch, no-op)', () => plainConsumer(kafka)],
    ...emulatorCases.flatMap(([id, name, batchSize, pollers]) =>
      handlerKinds.map((how): [string, string, () => Promise<Run>] => [id, `${name}, handler ${how === 'wire' ? 'reads event.records' : 'decodes the event'}`, () => emulator(kind, batchSize, pollers, how)]),
    ),
  ];
  // Runs interleaved (round by round, every case once per round) so that the machine's drift spreads over all cases.
  const chosen = allCases.filter(([id]) => wanted.has(id));
  const results = new Map<string, Run[]>(chosen.map(([, name]) => [name, []]));
  for (let i = 0; i < runs; i++) {
    for (const [, name, fn] of chosen) {
      const r = await fn();
      results.get(name)?.push(r);
      process.stderr.write(`${kind} ${name}: run ${i + 1} ${r.ms} ms, steady ${r.steadyPerSecond.toFixed(0)} records/s, CPU ${r.cpuUsPerRecord.toFixed(2)} µs/record\n`);
    }
  }
  let plain: { ms: number; steady: number; cpu: number } | undefined;
  for (const [id, name] of chosen) {
    const rs = results.get(name) as Run[];
    const m = median(rs.map((r) => r.ms));
    const steady = median(rs.map((r) => r.steadyPerSecond));
    const cpu = median(rs.map((r) => r.cpuUsPerRecord));
    if (id === 'plain') plain = { ms: m, steady, cpu };
    const ratio = plain === undefined ? '—' : `${(plain.ms / m).toFixed(2)}×`;
    const steadyRatio = plain === undefined ? '—' : `${(steady / plain.steady).toFixed(2)}×`;
    const cpuRatio = plain === undefined ? '—' : `${(plain.cpu / cpu).toFixed(2)}×`;
    rows.push(
      `| ${kind} | ${name} | ${(records / (m / 1000)).toFixed(0)} | ${ratio} | ${steady.toFixed(0)} | ${steadyRatio} | ${cpu.toFixed(2)} | ${cpuRatio} | ${(m / 1000).toFixed(2)} | ${rs.map((r) => (r.ms / 1000).toFixed(2)).join(', ')} |`,
    );
  }
}
await withKafkaAdmin(filler, (a) => a.deleteTopics([topic]));
process.stdout.write(
  [
    `${records} records × ${size} B, ${partitions} partitions, Kafka ${info.kafkaVersion}, Node ${process.version}, median of ${runs}`,
    '',
    '| client | consumer | records/s from start | vs plain consumer | steady records/s (10–90 %) | vs plain consumer | CPU µs per record | plain consumer\'s CPU / this | seconds (median) | seconds (all runs) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
  ].join('\n'),
);
