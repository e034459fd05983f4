/**
 * The bridge (through the ESM emulator, exactly-once) on EACH Kafka client adapter against MirrorMaker 2 (Maven
 * Central jars, dedicated mode), on the same data and the same two local clusters in one run, with Kafka's
 * ProducerPerformance on the target as the ceiling. N records of S bytes are on the source before each system
 * starts; each run is timed from start (emulator/MM2 start, group join included) until every record is on the
 * target.
 *
 * Reported per system, median of `--runs`:
 * - end to end: records / seconds from start;
 * - steady state: records/s between 10 % and 90 % of the records copied (startup and tail left out);
 * - CPU per million records: for the bridge, the process CPU (`process.cpuUsage`) while at least one handler
 *   invocation is in flight — an upper bound since the emulator's own fetches run meanwhile in the same process;
 *   with case `handler-cpu`, the bridge again with its handler in a process of its own (bench/support/handlerHost.ts)
 *   that handles one invocation at a time, like one Lambda instance (the emulator runs one poller for it), and
 *   whose CPU while an invocation is in flight is the handler's own time, what Lambda bills;
 *   for MM2, the JVM's utime + stime from /proc/<pid>/stat over its whole life (startup included);
 * - ratios against MM2.
 * Latency (optional case): records produced at a fixed rate, each stamped with its send time; a read_committed
 * consumer on the target measures arrival − send.
 *
 *   npx tsx bench/bridge-vs-mm2.ts [--records 1000000] [--size 1024] [--partitions 8] [--runs 3]
 *     [--clients kafkajs,platformatic] [--batch-size 4000] [--cases bridge,handler-cpu,mm2,ceiling,latency]
 *     [--rate 2000] [--latency-seconds 15]
 *   npx tsx bench/bridge-vs-mm2.ts --records 20000 --runs 1 --cases bridge,mm2   # smoke run
 *
 * Uses the local clusters (`kbridge local up`, started or reused); deletes every topic it creates.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createBridgeLambda } from '../src/bridge/lambda';
import { createKafkaClient, KafkaClientKinds, withKafkaAdmin, withKafkaProducer, type KafkaClient, type KafkaClientKind, type StructuredLogger } from '../src/kafka';
import { localUp } from '../src/local/clusters/clusters';
import { kafkaClasspath, loggingConfig, loggingSystemProperties, runKafkaTool } from '../src/local/clusters/kafkaDist';
import { resolveLocalSettings } from '../src/local/clusters/settings';
import type { EsmMappingConfig } from '../src/local/esm/config';
import { EsmEmulator } from '../src/local/esm/EsmEmulator';
import type { LambdaHandler } from '../src/local/esm/handlerLoader';
import { startHandlerHost } from './support/handlerHost';
import { steadyRate } from './support/steadyRate';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    size: { type: 'string', default: '1024' },
    partitions: { type: 'string', default: '8' },
    runs: { type: 'string', default: '3' },
    clients: { type: 'string', default: KafkaClientKinds.join(',') },
    'batch-size': { type: 'string', default: '4000' },
    rate: { type: 'string', default: '2000' },
    'latency-seconds': { type: 'string', default: '15' },
    cases: { type: 'string', default: 'bridge,handler-cpu,mm2,ceiling' },
  },
});
function positive(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} expects a positive whole number, got "${raw}"`);
  return n;
}
const records = positive('records', values.records);
const size = positive('size', values.size);
const partitions = positive('partitions', values.partitions);
const runs = positive('runs', values.runs);
const batchSize = positive('batch-size', values['batch-size']);
const rate = positive('rate', values.rate);
const latencySeconds = positive('latency-seconds', values['latency-seconds']);
const cases = new Set(values.cases.split(','));
const clients = values.clients.split(',').map((c) => {
  if (!(KafkaClientKinds as readonly string[]).includes(c)) throw new Error(`--clients: "${c}" is not one of ${KafkaClientKinds.join(', ')}`);
  return c as KafkaClientKind;
});

// The bridge's EMF metrics would flood stdout (the results table goes there).
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
const quiet: StructuredLogger = { error: (m, ...e) => process.stderr.write(`${m} ${JSON.stringify(e)}\n`), warn: () => {}, info: () => {}, debug: () => {} };
const say = (line: string): void => void process.stderr.write(`${line}\n`);
const settings = resolveLocalSettings(process.env);
const { info } = await localUp(settings);
const sourceServers = info.source.bootstrapServers;
const targetServers = info.target.bootstrapServers;
// Setup, fill and probes go through the first adapter; each bridge run uses its own.
const kafkaFor = (name: string, servers: string, client: KafkaClientKind = clients[0] as KafkaClientKind): Promise<KafkaClient> =>
  createKafkaClient({ name, bootstrapServers: servers.split(','), auth: { type: 'none' } }, { logger: quiet, logLevel: 'error', client });
const source = await kafkaFor('source', sourceServers);
const target = await kafkaFor('target', targetServers);
const runId = Date.now().toString(36);
const created: Array<{ kafka: KafkaClient; topic: string }> = [];
const work = await mkdtemp(join(tmpdir(), 'kbridge-bench-mm2-'));

async function createTopic(kafka: KafkaClient, topic: string): Promise<void> {
  // Waits until the metadata of every partition answers (a loaded broker answered UNKNOWN_TOPIC_OR_PARTITION otherwise).
  await withKafkaAdmin(kafka, (a) => a.createTopics([{ topic, numPartitions: partitions, replicationFactor: 1 }]));
  created.push({ kafka, topic });
}

/** Records on a topic: the sum of the high watermarks (the caller's topics start at 0 and hold no markers). */
async function topicCount(kafka: KafkaClient, topic: string): Promise<bigint> {
  const offsets = await withKafkaAdmin(kafka, (a) => a.fetchTopicOffsets(topic, { readUncommitted: true }));
  return offsets.reduce((n, o) => n + BigInt(o.high), 0n);
}

async function fill(topic: string): Promise<void> {
  const value = randomBytes(size);
  const started = Date.now();
  await withKafkaProducer(
    source,
    async (p) => {
      for (let i = 0; i < records; i += 2000) {
        const n = Math.min(2000, records - i);
        await p.send(topic, Array.from({ length: n }, (_, j) => ({ partition: (i + j) % partitions, key: `k${i + j}`, value })));
      }
    },
    { idempotent: false, acks: 1 }, // a plain fast producer
  );
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

/** One throughput run of one system. */
interface RunResult {
  /** From start until every record is on the target. */
  ms: number;
  /** Records/s between 10 % and 90 % of the records copied. */
  steadyPerSecond: number;
  /** CPU milliseconds (see the header: handler time for the bridge, the JVM for MM2). */
  cpuMs: number;
}
const results = new Map<string, RunResult[]>();
const note = (name: string, r: RunResult): void => {
  results.set(name, [...(results.get(name) ?? []), r]);
  say(`${name}: ${(r.ms / 1000).toFixed(2)} s (${(records / (r.ms / 1000)).toFixed(0)} records/s from start, ${r.steadyPerSecond.toFixed(0)} steady), CPU ${(r.cpuMs / 1000).toFixed(2)} s`);
};


// ---- the bridge ----------------------------------------------------------------------------------------

/**
 * A handler that adds up the process CPU time while at least one invocation is in flight (overlapping
 * invocations of the per-partition pollers are counted once).
 */
function cpuMetered(handler: LambdaHandler): { handler: LambdaHandler; cpuMs: () => number } {
  let inFlight = 0;
  let since: NodeJS.CpuUsage | undefined;
  let micros = 0;
  const metered: LambdaHandler = async (event, context) => {
    if (inFlight++ === 0) since = process.cpuUsage();
    try {
      return await handler(event, context);
    } finally {
      if (--inFlight === 0 && since) {
        const d = process.cpuUsage(since);
        micros += d.user + d.system;
      }
    }
  };
  return { handler: metered, cpuMs: () => micros / 1000 };
}

/**
 * The bridge Lambda (bare handler, as the emulator invokes it) on `client`, behind an in-process emulator mapping.
 * `handlerProcess`: the handler runs in a process of its own (bench/support/handlerHost.ts) and `cpuMs` is that
 * process's CPU while invocations are in flight, the handler's own time with none of the emulator's fetching.
 */
async function startBridge(
  client: KafkaClientKind,
  topic: string,
  maximumBatchingWindowSeconds: number,
  onDelivered?: (n: number) => void,
  handlerProcess = false,
): Promise<{ bridgeId: string; cpuMs(): Promise<number>; stop(): Promise<void> }> {
  const bridgeId = `bench-${runId}-${randomBytes(3).toString('hex')}`;
  const kafkaDeps = { logger: quiet, logLevel: 'error' as const, client };
  const env = { BRIDGE_ID: bridgeId, TARGET_BOOTSTRAP_SERVERS: targetServers, SOURCE_BOOTSTRAP_SERVERS: sourceServers, TOPIC_MAPPING: '{"prefix":"br."}', PARTITION_CONCURRENCY: String(partitions), KAFKA_CLIENT: client };
  let handler: LambdaHandler;
  let cpuMs: () => Promise<number>;
  let close: () => Promise<void>;
  if (handlerProcess) {
    const host = await startHandlerHost(env, client);
    handler = (event) => host.invoke(event);
    cpuMs = async () => {
      const cpu = await host.cpuMs();
      say(`  handler process CPU ${(cpu.ms / 1000).toFixed(2)} s, of which system ${(cpu.systemMs / 1000).toFixed(2)} s`);
      return cpu.ms;
    };
    close = () => host.close();
  } else {
    const lambda = createBridgeLambda(env, {
      logger: new Logger({ serviceName: 'bridge', logLevel: 'ERROR' }),
      metrics: new Metrics({ serviceName: 'bridge', namespace: 'Bench' }),
      kafkaDeps,
    });
    const metered = cpuMetered(lambda.bridgeHandler as LambdaHandler);
    handler = metered.handler;
    cpuMs = async () => metered.cpuMs();
    close = () => lambda.close();
  }
  const config: EsmMappingConfig = {
    id: 'bridge-0', functionName: 'bridge', handler: 'functions/bridge/handler.bridge', handlerModule: '/dev/null', handlerExport: 'bridge',
    environment: {}, timeoutSeconds: 60, memorySize: 1024, region: 'us-east-1', eventSource: 'SelfManagedKafka',
    bootstrapServers: sourceServers.split(','), auth: { type: 'none' }, topic, consumerGroupId: `${bridgeId}-esm`, batchSize,
    maximumBatchingWindowSeconds, startingPosition: 'TRIM_HORIZON', enabled: true, filterPatterns: [], maximumRetryAttempts: -1,
  };
  const emulator = new EsmEmulator([config], {
    handler,
    logger: quiet,
    kafkaDeps,
    consumer: { maxWaitTimeMs: 100 },
    // In process: a poller per partition, the bridge's best throughput. With the handler in a process of its own:
    // one poller, so that process handles one invocation at a time, as one Lambda instance does (concurrent
    // invocations go to other instances); 8 events in flight in one process cost it ~15 % more CPU in GC.
    pollers: handlerProcess ? 1 : 'per-partition',
    ...(onDelivered ? { onInvocation: (r) => r.outcome === 'success' && onDelivered(r.records) } : {}),
  });
  await emulator.start();
  created.push({ kafka: target, topic: `br.${topic}` });
  return {
    bridgeId,
    cpuMs,
    async stop() {
      await emulator.stop(10_000);
      await close();
    },
  };
}

async function bridgeThroughput(client: KafkaClientKind, topic: string, handlerProcess = false): Promise<RunResult> {
  const started = Date.now();
  let delivered = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const samples: Array<[number, number]> = [];
  // The emulator reports an invocation once the handler returned, i.e. once its transactions committed.
  const bridge = await startBridge(
    client,
    topic,
    0.5,
    (n) => {
      delivered += n;
      samples.push([Date.now() - started, delivered]);
      if (delivered >= records) done();
    },
    handlerProcess,
  );
  await finished;
  const ms = Date.now() - started;
  const cpuMs = await bridge.cpuMs();
  await bridge.stop();
  return { ms, steadyPerSecond: steadyRate(samples, records), cpuMs };
}

// ---- MirrorMaker 2 ---------------------------------------------------------------------------------------

/** MM2 in dedicated mode, source → target only, aliases unique to this run so its internal topics are ours. */
async function startMm2(topics: string[], alias: string): Promise<{ targetTopic: (t: string) => string; cpuMs(): number; stop(): Promise<void> }> {
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
    cpuMs: () => (child.pid === undefined ? Number.NaN : jvmCpuMs(child.pid)),
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      // MM2's internal topics carry our aliases in their names.
      for (const kafka of [source, target]) {
        await withKafkaAdmin(kafka, async (a) => {
          const mine = (await a.listTopics()).filter((t) => t.includes(src) || t.includes(tgt));
          if (mine.length > 0) await a.deleteTopics(mine).catch(() => undefined);
        });
      }
    },
  };
}

/** CPU time (user + system) of a live process, from /proc/<pid>/stat, in milliseconds. */
function jvmCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14 and stime 15 (clock ticks, USER_HZ = 100 on Linux).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks * 10;
}

async function mm2Throughput(topic: string): Promise<RunResult> {
  const alias = `b${runId}${randomBytes(2).toString('hex')}`;
  const started = Date.now();
  const mm2 = await startMm2([topic], alias);
  const targetTopic = mm2.targetTopic(topic);
  created.push({ kafka: target, topic: targetTopic });
  const samples: Array<[number, number]> = [];
  await waitUntil(
    'MM2 to copy every record',
    async () => {
      const copied = await topicCount(target, targetTopic).catch(() => 0n);
      samples.push([Date.now() - started, Number(copied)]);
      return copied >= BigInt(records);
    },
    1_800_000,
  );
  const ms = Date.now() - started;
  const cpuMs = mm2.cpuMs();
  await mm2.stop();
  return { ms, steadyPerSecond: steadyRate(samples, records), cpuMs };
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
  await waitUntil('the target topic', async () => (await withKafkaAdmin(target, (a) => a.listTopics())).includes(targetTopic), 120_000);
  const consumer = target.consumer({ groupId: `bench-lat-${runId}-${randomBytes(3).toString('hex')}`, topics: [targetTopic], fromBeginning: true, maxWaitTimeMs: 50 });
  await consumer.start({
    onBatch: (batch) => {
      const now = Date.now();
      for (const m of batch.records) if (m.value && m.value.length >= 8) lat.push(now - Number(m.value.readBigInt64BE(0)));
      if (lat.length >= total) done();
    },
  });
  const pad = randomBytes(Math.max(0, size - 8));
  await withKafkaProducer(source, async (p) => {
    const tick = 50;
    const perTick = Math.max(1, Math.round((rate * tick) / 1000));
    const start = Date.now();
    for (let sent = 0, i = 0; sent < total; i++) {
      const n = Math.min(perTick, total - sent);
      const stamp = Buffer.alloc(8);
      stamp.writeBigInt64BE(BigInt(Date.now()));
      await p.send(sourceTopic, Array.from({ length: n }, (_, j) => ({ partition: (sent + j) % partitions, key: null, value: Buffer.concat([stamp, pad]) })));
      sent += n;
      const wait = start + (i + 1) * tick - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }, { idempotent: false, acks: 1 }); // a plain fast producer
  await Promise.race([finished, new Promise((r) => setTimeout(r, 120_000))]);
  await consumer.close();
  const s = [...lat].sort((a, b) => a - b);
  const q = (x: number): number => s[Math.min(s.length - 1, Math.floor(x * s.length))] ?? Number.NaN;
  return { p50: q(0.5), p99: q(0.99), n: s.length };
}

async function bridgeLatency(client: KafkaClientKind): Promise<{ p50: number; p99: number; n: number }> {
  const topic = `bench-lat-br-${runId}-${randomBytes(2).toString('hex')}`;
  await createTopic(source, topic);
  // The bridge creates its target topic on the first record; the latency consumer subscribes before that.
  await createTopic(target, `br.${topic}`);
  // A small batching window: Lambda's own default for Kafka is 500 ms, which would dominate the latency.
  const bridge = await startBridge(client, topic, 0.05);
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

const bridgeName = (client: KafkaClientKind): string => `bridge (${client})`;
const hostedName = (client: KafkaClientKind): string => `bridge (${client}, handler in its own process)`;
const latencies: Array<[string, { p50: number; p99: number; n: number }]> = [];
const ceilings: number[] = [];
try {
  for (let run = 0; run < runs; run++) {
    if (cases.has('bridge') || cases.has('mm2') || cases.has('handler-cpu')) {
      const topic = `bench-mm2-${runId}-${run}`;
      await createTopic(source, topic);
      await fill(topic);
      // The same records for every system, in an order that changes per run (no system always goes first).
      const systems = [
        ...(cases.has('bridge') ? clients.map((c) => bridgeName(c)) : []),
        ...(cases.has('handler-cpu') ? clients.map((c) => hostedName(c)) : []),
        ...(cases.has('mm2') ? ['mm2'] : []),
      ];
      for (let i = 0; i < systems.length; i++) {
        const name = systems[(i + run) % systems.length] as string;
        const inProcess = clients.find((c) => bridgeName(c) === name);
        const hosted = clients.find((c) => hostedName(c) === name);
        note(name, inProcess ? await bridgeThroughput(inProcess, topic) : hosted ? await bridgeThroughput(hosted, topic, true) : await mm2Throughput(topic));
      }
    }
    if (cases.has('ceiling')) {
      const c = await ceiling();
      say(`ceiling: ${c.line}`);
      ceilings.push(c.ms);
    }
  }
  if (cases.has('latency')) {
    for (let run = 0; run < runs; run++) {
      for (const client of clients) {
        latencies.push([bridgeName(client), await bridgeLatency(client)]);
        say(`${bridgeName(client)} latency: ${JSON.stringify(latencies[latencies.length - 1]?.[1])}`);
      }
      latencies.push(['mm2', await mm2Latency()]);
      say(`mm2 latency: ${JSON.stringify(latencies[latencies.length - 1]?.[1])}`);
    }
  }
} finally {
  for (const { kafka, topic } of created) await withKafkaAdmin(kafka, (a) => a.deleteTopics([topic])).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}

const perSecond = (ms: number): number => records / (ms / 1000);
const ratio = (x: number, y: number | undefined): string => (y === undefined || !Number.isFinite(x / y) ? '—' : `${(x / y).toFixed(2)}×`);
const mm2 = results.get('mm2');
const mm2E2e = mm2 ? median(mm2.map((r) => perSecond(r.ms))) : undefined;
const mm2Steady = mm2 ? median(mm2.map((r) => r.steadyPerSecond)) : undefined;
const mm2Cpu = mm2 ? median(mm2.map((r) => (r.cpuMs / records) * 1e6)) : undefined;
const lines = [
  `${records} records × ${size} B, ${partitions} partitions, bridge batchSize ${batchSize}, Kafka ${info.kafkaVersion}, Node ${process.version}, median of ${runs}`,
  '',
  '| system | records/s from start | vs MM2 | steady records/s | vs MM2 | CPU s per 1M records | vs MM2 | seconds (all runs) |',
  '|---|---:|---:|---:|---:|---:|---:|---|',
];
for (const [name, rs] of results) {
  const e2e = median(rs.map((r) => perSecond(r.ms)));
  const steady = median(rs.map((r) => r.steadyPerSecond));
  const cpu = median(rs.map((r) => (r.cpuMs / records) * 1e6));
  const isMm2 = name === 'mm2';
  lines.push(
    `| ${name} | ${e2e.toFixed(0)} | ${isMm2 ? '1.00×' : ratio(e2e, mm2E2e)} | ${steady.toFixed(0)} | ${isMm2 ? '1.00×' : ratio(steady, mm2Steady)} | ` +
      `${(cpu / 1000).toFixed(1)} | ${isMm2 ? '1.00×' : ratio(cpu, mm2Cpu)} | ${rs.map((r) => (r.ms / 1000).toFixed(2)).join(', ')} |`,
  );
}
if (ceilings.length > 0) lines.push(`| ceiling (ProducerPerformance, acks all) | ${perSecond(median(ceilings)).toFixed(0)} | ${ratio(perSecond(median(ceilings)), mm2E2e)} | | | | | ${ceilings.map((t) => (t / 1000).toFixed(2)).join(', ')} |`);
lines.push(
  '',
  'CPU: "bridge (client)" is the process CPU while at least one handler invocation is in flight, with the emulator fetching in the same process meanwhile (an upper bound); "handler in its own process" is the CPU of a process that takes one invocation at a time, as a Lambda instance does, while an invocation is in flight (the event\'s JSON parse included): the handler\'s own time, what Lambda bills (the emulator, AWS\'s poller in a deployment, runs in the parent). MM2 is the JVM process (utime + stime, startup included).',
);
if (latencies.length > 0) {
  lines.push('', `end-to-end latency at ${rate} records/s for ${latencySeconds} s (median over ${runs} runs of each percentile):`, '', '| system | p50 ms | p99 ms | runs (p50/p99) |', '|---|---:|---:|---|');
  for (const name of [...clients.map((c) => bridgeName(c)), 'mm2']) {
    const rs = latencies.filter(([n]) => n === name).map(([, r]) => r);
    if (rs.length > 0) lines.push(`| ${name} | ${median(rs.map((r) => r.p50))} | ${median(rs.map((r) => r.p99))} | ${rs.map((r) => `${r.p50}/${r.p99} (n=${r.n})`).join(', ')} |`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
