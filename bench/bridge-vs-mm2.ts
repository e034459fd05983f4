/**
 * The bridge (through the ESM emulator, exactly-once) against MirrorMaker 2 (Maven Central jars, dedicated
 * mode) on the same data and the same two local clusters, with Kafka's ProducerPerformance on the target as
 * the ceiling. Throughput: N records of S bytes already on the source, timed from start (emulator/MM2 start,
 * group join included) until every record is on the target. Latency: records produced at a fixed rate, each
 * stamped with its send time; a consumer on the target (read_committed) measures arrival − send.
 *
 *   npx tsx bench/bridge-vs-mm2.ts [--records 200000] [--size 1024] [--partitions 8] [--runs 3]
 *     [--batch-size 4000] [--rate 2000] [--latency-seconds 15] [--cases bridge,mm2,ceiling,latency]
 *
 * Uses the local clusters (`kbridge local up`, started or reused); deletes every topic it creates.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Kafka } from 'kafkajs';
import { createBridgeLambda } from '../src/bridge/lambda';
import { createTopicsAndWait, withAdmin, withProducer } from '../src/kafka/clients';
import { createKafka } from '../src/kafka/factory';
import type { StructuredLogger } from '../src/kafka/logging';
import { localUp } from '../src/local/clusters/clusters';
import { kafkaClasspath, loggingConfig, loggingSystemProperties, runKafkaTool } from '../src/local/clusters/kafkaDist';
import { resolveLocalSettings } from '../src/local/clusters/settings';
import type { EsmMappingConfig } from '../src/local/esm/config';
import { EsmEmulator } from '../src/local/esm/EsmEmulator';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    size: { type: 'string', default: '1024' },
    partitions: { type: 'string', default: '8' },
    runs: { type: 'string', default: '3' },
    'batch-size': { type: 'string', default: '4000' },
    rate: { type: 'string', default: '2000' },
    'latency-seconds': { type: 'string', default: '15' },
    cases: { type: 'string', default: 'bridge,mm2,ceiling,latency' },
  },
});
const records = Number(values.records);
const size = Number(values.size);
const partitions = Number(values.partitions);
const runs = Number(values.runs);
const batchSize = Number(values['batch-size']);
const rate = Number(values.rate);
const latencySeconds = Number(values['latency-seconds']);
const cases = new Set(values.cases.split(','));

// The bridge's EMF metrics would flood stdout (the results table goes there).
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
const quiet: StructuredLogger = { error: (m, ...e) => process.stderr.write(`${m} ${JSON.stringify(e)}\n`), warn: () => {}, info: () => {}, debug: () => {} };
const say = (line: string): void => void process.stderr.write(`${line}\n`);
const settings = resolveLocalSettings(process.env);
const { info } = await localUp(settings);
const sourceServers = info.source.bootstrapServers;
const targetServers = info.target.bootstrapServers;
const kafkaFor = (name: string, servers: string): Promise<Kafka> =>
  createKafka({ name, bootstrapServers: servers.split(','), auth: { type: 'none' } }, { logger: quiet, logLevel: 'error' });
const source = await kafkaFor('source', sourceServers);
const target = await kafkaFor('target', targetServers);
const runId = Date.now().toString(36);
const created: Array<{ kafka: Kafka; topic: string }> = [];
const work = await mkdtemp(join(tmpdir(), 'kbridge-bench-mm2-'));

async function createTopic(kafka: Kafka, topic: string): Promise<void> {
  // createTopicsAndWait waits until the metadata of every partition answers (createTopics' waitForLeaders raced
  // with a loaded broker: UNKNOWN_TOPIC_OR_PARTITION in a 1M-record run).
  await withAdmin(kafka, (a) => createTopicsAndWait(a, [{ topic, numPartitions: partitions, replicationFactor: 1 }]));
  created.push({ kafka, topic });
}

/** Records on a topic (sum of high watermarks minus log starts); transaction markers counted separately by the caller. */
async function topicEnd(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  return withAdmin(kafka, async (a) => new Map((await a.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)])));
}

async function fill(topic: string): Promise<void> {
  const value = randomBytes(size);
  const started = Date.now();
  await withProducer(source, async (p) => {
    for (let i = 0; i < records; i += 2000) {
      const n = Math.min(2000, records - i);
      await p.send({ topic, acks: 1, messages: Array.from({ length: n }, (_, j) => ({ partition: (i + j) % partitions, key: `k${i + j}`, value })) });
    }
  }, { idempotent: false }); // acks: 1, as a plain fast producer
  say(`produced ${records} × ${size} B to ${topic} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const results = new Map<string, number[]>();
const note = (name: string, ms: number): void => {
  results.set(name, [...(results.get(name) ?? []), ms]);
  say(`${name}: ${(ms / 1000).toFixed(2)} s (${(records / (ms / 1000)).toFixed(0)} records/s)`);
};

// ---- the bridge ----------------------------------------------------------------------------------------

/** The bridge Lambda (bare handler, as the emulator invokes it) behind an in-process emulator mapping. */
async function startBridge(topic: string, maximumBatchingWindowSeconds: number, onDelivered?: (n: number) => void): Promise<{ bridgeId: string; stop(): Promise<void> }> {
  const bridgeId = `bench-${runId}-${randomBytes(3).toString('hex')}`;
  const lambda = createBridgeLambda(
    { BRIDGE_ID: bridgeId, TARGET_BOOTSTRAP_SERVERS: targetServers, SOURCE_BOOTSTRAP_SERVERS: sourceServers, TOPIC_MAPPING: '{"prefix":"br."}', PARTITION_CONCURRENCY: String(partitions) },
    {
      logger: new Logger({ serviceName: 'bridge', logLevel: 'ERROR' }),
      metrics: new Metrics({ serviceName: 'bridge', namespace: 'Bench' }),
      kafkaDeps: { logger: quiet, logLevel: 'error' },
    },
  );
  const config: EsmMappingConfig = {
    id: 'bridge-0', functionName: 'bridge', handler: 'functions/bridge/handler.bridge', handlerModule: '/dev/null', handlerExport: 'bridge',
    environment: {}, timeoutSeconds: 60, memorySize: 1024, region: 'us-east-1', eventSource: 'SelfManagedKafka',
    bootstrapServers: sourceServers.split(','), auth: { type: 'none' }, topic, consumerGroupId: `${bridgeId}-esm`, batchSize,
    maximumBatchingWindowSeconds, startingPosition: 'TRIM_HORIZON', enabled: true, filterPatterns: [], maximumRetryAttempts: -1,
  };
  const emulator = new EsmEmulator([config], {
    handler: lambda.bridgeHandler as never,
    logger: quiet,
    kafkaDeps: { logger: quiet, logLevel: 'error' },
    consumer: { maxWaitTimeInMs: 100 },
    pollers: 'per-partition',
    ...(onDelivered ? { onInvocation: (r) => r.outcome === 'success' && onDelivered(r.records) } : {}),
  });
  await emulator.start();
  created.push({ kafka: target, topic: `br.${topic}` });
  return {
    bridgeId,
    async stop() {
      await emulator.stop(10_000);
      await lambda.close();
    },
  };
}

async function bridgeThroughput(topic: string): Promise<number> {
  const started = Date.now();
  let delivered = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  // The emulator reports an invocation once the handler returned, i.e. once its transactions committed.
  let firstAt: number | undefined;
  const bridge = await startBridge(topic, 0.5, (n) => {
    firstAt ??= Date.now();
    delivered += n;
    if (delivered >= records) done();
  });
  await finished;
  const ms = Date.now() - started;
  note('bridge (from first batch committed)', ms - ((firstAt ?? started) - started));
  await bridge.stop();
  return ms;
}

// ---- MirrorMaker 2 ---------------------------------------------------------------------------------------

/** MM2 in dedicated mode, source → target only, aliases unique to this run so its internal topics are ours. */
async function startMm2(topics: string[], alias: string): Promise<{ targetTopic: (t: string) => string; stop(): Promise<void> }> {
  const src = `${alias}src`;
  const tgt = `${alias}tgt`;
  const props = [
    `clusters=${src},${tgt}`,
    `${src}.bootstrap.servers=${sourceServers}`,
    `${tgt}.bootstrap.servers=${targetServers}`,
    `${src}->${tgt}.enabled=true`,
    `${tgt}->${src}.enabled=false`,
    `${src}->${tgt}.topics=${topics.join(',')}`,
    // 2 cores: one task per core.
    'tasks.max=2',
    'replication.factor=1',
    'checkpoints.topic.replication.factor=1',
    'heartbeats.topic.replication.factor=1',
    'offset-syncs.topic.replication.factor=1',
    'offset.storage.replication.factor=1',
    'status.storage.replication.factor=1',
    'config.storage.replication.factor=1',
    'emit.heartbeats.enabled=false',
    'emit.checkpoints.enabled=false',
    'sync.group.offsets.enabled=false',
    'sync.topic.acls.enabled=false',
    'refresh.topics.interval.seconds=5',
    `${src}.consumer.auto.offset.reset=earliest`,
    '',
  ].join('\n');
  const file = join(work, `mm2-${alias}.properties`);
  const logConfig = join(work, 'mm2-log4j.properties');
  await writeFile(file, props);
  await writeFile(logConfig, loggingConfig(info.kafkaVersion, 'WARN', 'stdout'));
  const child: ChildProcess = spawn(
    'java',
    ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', ...loggingSystemProperties(info.kafkaVersion, logConfig), '-cp', kafkaClasspath(settings.cacheDir, info.kafkaVersion), 'org.apache.kafka.connect.mirror.MirrorMaker', file],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  child.once('exit', (code) => code !== null && code !== 0 && code !== 143 && say(`MM2 exited ${code}: ${out}`));
  return {
    targetTopic: (t) => `${src}.${t}`,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      // MM2's internal topics carry our aliases in their names.
      for (const kafka of [source, target]) {
        await withAdmin(kafka, async (a) => {
          const mine = (await a.listTopics()).filter((t) => t.includes(src) || t.includes(tgt));
          if (mine.length > 0) await a.deleteTopics({ topics: mine }).catch(() => undefined);
        });
      }
    },
  };
}

async function mm2Throughput(topic: string): Promise<number> {
  const alias = `b${runId}${randomBytes(2).toString('hex')}`;
  const started = Date.now();
  const mm2 = await startMm2([topic], alias);
  const targetTopic = mm2.targetTopic(topic);
  created.push({ kafka: target, topic: targetTopic });
  let firstAt: number | undefined;
  await waitUntil(
    'MM2 to copy every record',
    async () => {
      const ends = await topicEnd(target, targetTopic).catch(() => new Map<number, bigint>());
      const copied = [...ends.values()].reduce((a, b) => a + b, 0n);
      if (copied > 0n) firstAt ??= Date.now();
      return copied >= BigInt(records);
    },
    1_800_000,
  );
  const ms = Date.now() - started;
  note('mm2 (from first record on the target)', ms - ((firstAt ?? started) - started));
  await mm2.stop();
  return ms;
}

// ---- ceiling ---------------------------------------------------------------------------------------------

async function ceiling(): Promise<{ ms: number; line: string }> {
  const topic = `bench-ceiling-${runId}-${randomBytes(2).toString('hex')}`;
  await createTopic(target, topic);
  const result = await runKafkaTool(settings.cacheDir, info.kafkaVersion, 'org.apache.kafka.tools.ProducerPerformance', [
    '--topic', topic, '--num-records', String(records), '--record-size', String(size), '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${targetServers}`, 'acks=all', 'linger.ms=5', 'batch.size=262144',
  ]);
  const line = result.output.split('\n').filter((l) => l.includes('records sent')).pop() ?? '';
  const m = /([\d.]+) records\/sec/.exec(line);
  if (result.code !== 0 || !m) throw new Error(`ProducerPerformance failed: ${result.output.slice(-2000)}`);
  return { ms: (records / Number(m[1])) * 1000, line };
}

// ---- latency at a fixed rate -------------------------------------------------------------------------------

/** Produce `rate` records/s for `latencySeconds` (value = 8-byte send time + padding), measure on `targetTopic`. */
async function latency(sourceTopic: string, targetTopic: string): Promise<{ p50: number; p99: number; n: number }> {
  const total = rate * latencySeconds;
  const lat: number[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const consumer = target.consumer({ groupId: `bench-lat-${runId}-${randomBytes(3).toString('hex')}`, maxWaitTimeInMs: 50, readUncommitted: false });
  await consumer.connect();
  await waitUntil('the target topic', async () => (await topicEnd(target, targetTopic).catch(() => new Map())).size > 0, 120_000);
  await consumer.subscribe({ topic: targetTopic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) if (m.value && m.value.length >= 8) lat.push(now - Number(m.value.readBigInt64BE(0)));
      if (lat.length >= total) done();
    },
  });
  const pad = randomBytes(Math.max(0, size - 8));
  await withProducer(source, async (p) => {
    const tick = 50;
    const perTick = Math.max(1, Math.round((rate * tick) / 1000));
    const start = Date.now();
    for (let sent = 0, i = 0; sent < total; i++) {
      const n = Math.min(perTick, total - sent);
      const stamp = Buffer.alloc(8);
      stamp.writeBigInt64BE(BigInt(Date.now()));
      await p.send({ topic: sourceTopic, acks: 1, messages: Array.from({ length: n }, (_, j) => ({ partition: (sent + j) % partitions, value: Buffer.concat([stamp, pad]) })) });
      sent += n;
      const wait = start + (i + 1) * tick - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }, { idempotent: false }); // acks: 1, as a plain fast producer
  await Promise.race([finished, new Promise((r) => setTimeout(r, 120_000))]);
  await consumer.disconnect();
  const s = [...lat].sort((a, b) => a - b);
  const q = (x: number): number => s[Math.min(s.length - 1, Math.floor(x * s.length))] ?? Number.NaN;
  return { p50: q(0.5), p99: q(0.99), n: s.length };
}

async function bridgeLatency(): Promise<{ p50: number; p99: number; n: number }> {
  const topic = `bench-lat-br-${runId}-${randomBytes(2).toString('hex')}`;
  await createTopic(source, topic);
  // The bridge creates its target topic on the first record; the latency consumer subscribes before that.
  await createTopic(target, `br.${topic}`);
  // A small batching window: Lambda's own default for Kafka is 500 ms, which would dominate the latency.
  const bridge = await startBridge(topic, 0.05);
  try {
    return await latency(topic, `br.${topic}`);
  } finally {
    await bridge.stop();
  }
}

async function mm2Latency(): Promise<{ p50: number; p99: number; n: number }> {
  const topic = `bench-lat-mm-${runId}-${randomBytes(2).toString('hex')}`;
  await createTopic(source, topic);
  const mm2 = await startMm2([topic], `l${runId}${randomBytes(2).toString('hex')}`);
  created.push({ kafka: target, topic: mm2.targetTopic(topic) });
  try {
    return await latency(topic, mm2.targetTopic(topic));
  } finally {
    await mm2.stop();
  }
}

// ---- main ----------------------------------------------------------------------------------------------------

const latencies: Array<[string, { p50: number; p99: number; n: number }]> = [];
try {
  for (let run = 0; run < runs; run++) {
    if (cases.has('bridge') || cases.has('mm2')) {
      const topic = `bench-mm2-${runId}-${run}`;
      await createTopic(source, topic);
      await fill(topic);
      if (cases.has('bridge')) note('bridge', await bridgeThroughput(topic));
      if (cases.has('mm2')) note('mm2', await mm2Throughput(topic));
    }
    if (cases.has('ceiling')) {
      const c = await ceiling();
      say(`ceiling: ${c.line}`);
      note('ceiling', c.ms);
    }
  }
  if (cases.has('latency')) {
    for (let run = 0; run < runs; run++) {
      latencies.push(['bridge', await bridgeLatency()]);
      say(`bridge latency: ${JSON.stringify(latencies[latencies.length - 1]?.[1])}`);
      latencies.push(['mm2', await mm2Latency()]);
      say(`mm2 latency: ${JSON.stringify(latencies[latencies.length - 1]?.[1])}`);
    }
  }
} finally {
  for (const { kafka, topic } of created) await withAdmin(kafka, (a) => a.deleteTopics({ topics: [topic] })).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}

const mb = (ms: number): string => ((records * size) / (ms / 1000) / 1e6).toFixed(1);
const lines = [
  `${records} records × ${size} B, ${partitions} partitions, bridge batchSize ${batchSize}, Kafka ${info.kafkaVersion}, Node ${process.version}, median of ${runs}`,
  '',
  '| system | records/s | MB/s | seconds (median) | seconds (all runs) |',
  '|---|---:|---:|---:|---|',
];
for (const [name, times] of results) {
  const m = median(times);
  lines.push(`| ${name} | ${(records / (m / 1000)).toFixed(0)} | ${mb(m)} | ${(m / 1000).toFixed(2)} | ${times.map((t) => (t / 1000).toFixed(2)).join(', ')} |`);
}
const b = results.get('bridge');
const m2 = results.get('mm2');
const c = results.get('ceiling');
if (b && m2) lines.push('', `bridge/MM2 throughput ratio: ${(median(m2) / median(b)).toFixed(2)}`);
if (b && c) lines.push(`bridge/ceiling throughput ratio: ${(median(c) / median(b)).toFixed(2)}`);
if (latencies.length > 0) {
  lines.push('', `end-to-end latency at ${rate} records/s for ${latencySeconds} s (median over ${runs} runs of each percentile):`, '', '| system | p50 ms | p99 ms | runs (p50/p99) |', '|---|---:|---:|---|');
  for (const name of ['bridge', 'mm2']) {
    const rs = latencies.filter(([n]) => n === name).map(([, r]) => r);
    lines.push(`| ${name} | ${median(rs.map((r) => r.p50))} | ${median(rs.map((r) => r.p99))} | ${rs.map((r) => `${r.p50}/${r.p99} (n=${r.n})`).join(', ')} |`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
