/**
 * Cold start of the bridge from its built bundle, to the first batch committed (issue 15): a fresh Node process
 * imports `.build/bridge/index.js` as Lambda would (module init), then the deployed handler gets a Lambda Kafka
 * event of `--records` records of `--size` bytes on a fresh one-partition topic and returns once that batch's
 * Kafka transaction is committed on the target (its first invocation: Kafka client loaded, connections opened,
 * InitProducerId). A second batch in the same process shows the same work warm. Each run is a new process,
 * topic and bridge id — what a new poller's first batch costs when Lambda scales the trigger out (the target topic
 * exists, as it does after the first deploy). Runs alternate between the clients; median and fastest per client.
 *
 *   npm run build && npx tsx bench/bridge-cold-start.ts [--runs 7] [--records 100] [--size 1024]
 *                                                        [--clients platformatic,kafkajs] [--bundle .build/bridge]
 *
 * Uses the local clusters (`kbridge local up`, started or reused). The bundle runs from a copy outside the repository
 * through scripts/run-bundle.mjs (the runner test/deploy/bundles.test.ts uses), with this machine's CRC32C binary
 * beside the deployed architecture's.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createKafkaClient, KafkaClientKinds, withKafkaAdmin, type KafkaClient, type KafkaClientKind } from '../src/kafka';
import { localUp } from '../src/local/clusters/clusters';
import { resolveLocalSettings } from '../src/local/clusters/settings';

const ROOT = resolve(import.meta.dirname, '..');
const RESULT = '__KBRIDGE_BUNDLE_RESULT__';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    records: { type: 'string', default: '100' },
    size: { type: 'string', default: '1024' },
    clients: { type: 'string', default: KafkaClientKinds.join(',') },
    bundle: { type: 'string', default: '.build/bridge' },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const records = Number(values.records);
const size = Number(values.size);
for (const [name, value] of Object.entries({ runs, records, size })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name}: "${value}" is not a positive integer`);
}
const clients = values.clients.split(',').map((c) => {
  if (!(KafkaClientKinds as readonly string[]).includes(c)) throw new Error(`--clients: "${c}" is not one of ${KafkaClientKinds.join(', ')}`);
  return c as KafkaClientKind;
});
const bundleDir = resolve(ROOT, values.bundle);
if (!existsSync(join(bundleDir, 'index.js'))) throw new Error(`${bundleDir}/index.js does not exist: run npm run build first`);

// The files the zip holds (entry, chunks, package.json, native binaries), plus this machine's CRC32C binary when
// the bundle was built for another architecture (the loader picks `crc32.linux-${process.arch}-gnu.node`).
const work = mkdtempSync(join(tmpdir(), 'kbridge-cold-start-'));
const dir = join(work, 'bridge');
cpSync(bundleDir, dir, { recursive: true, filter: (src) => src === bundleDir || /\.(js|node)$|package\.json$/.test(src) });
const hostBinary = `crc32.linux-${process.arch}-gnu.node`;
if (readdirSync(dir).some((f) => f.endsWith('.node')) && !existsSync(join(dir, hostBinary))) {
  cpSync(join(ROOT, 'node_modules', '@node-rs', `crc32-linux-${process.arch}-gnu`, hostBinary), join(dir, hostBinary));
}

const { info } = await localUp(resolveLocalSettings(process.env));
const connection = (side: 'source' | 'target') => ({ name: side, bootstrapServers: info[side].bootstrapServers.split(','), auth: { type: 'none' as const } });
const source = await createKafkaClient(connection('source'), { logLevel: 'error' });
const target = await createKafkaClient(connection('target'), { logLevel: 'error' });

/** Lambda's Kafka event (the documented shape, events/bridge.json) for `count` records from `first` on topic-0. */
function eventFile(topic: string, first: number, count: number): string {
  const value = randomBytes(size).toString('base64');
  const batch = Array.from({ length: count }, (_, i) => ({
    topic,
    partition: 0,
    offset: first + i,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: Buffer.from(`key-${first + i}`).toString('base64'),
    value,
    headers: [{ source: [107, 98] }],
  }));
  const file = join(work, `${topic}-${first}.json`);
  writeFileSync(file, JSON.stringify({ eventSource: 'SelfManagedKafka', bootstrapServers: info.source.bootstrapServers, records: { [`${topic}-0`]: batch } }));
  return file;
}

interface Run {
  initMs: number;
  firstBatchMs: number;
  warmBatchMs: number;
  processMs: number;
}

async function once(kind: KafkaClientKind): Promise<Run> {
  const topic = `bench-cold-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  await Promise.all(
    [source, target].map((kafka: KafkaClient) => withKafkaAdmin(kafka, (admin) => admin.createTopics([{ topic, numPartitions: 1, replicationFactor: 1 }]))),
  );
  const events = [eventFile(topic, 0, records), eventFile(topic, records, records)];
  const started = performance.now();
  const child = spawnSync(join(ROOT, 'node_modules', '.bin', 'node'), [join(ROOT, 'scripts', 'run-bundle.mjs'), join(dir, 'index.js'), 'handler', 'bridge', ...events], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_LAMBDA_FUNCTION_NAME: 'bridge',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      BRIDGE_ID: `bench-${randomBytes(4).toString('hex')}`,
      TARGET_BOOTSTRAP_SERVERS: info.target.bootstrapServers,
      KAFKA_CLIENT: kind,
    },
  });
  const processMs = performance.now() - started;
  const line = child.stdout.split('\n').find((l) => l.startsWith(RESULT));
  const r = line ? (JSON.parse(line.slice(RESULT.length)) as { initMs: number; invocations: Array<{ ms: number; result?: unknown; error?: string }>; error?: string }) : undefined;
  if (!r || r.error || r.invocations.length !== 2) throw new Error(`${kind}: ${r?.error ?? `no result (exit ${child.status})`}\n${(child.stdout + child.stderr).slice(-2000)}`);
  for (const inv of r.invocations) {
    if (JSON.stringify(inv.result) !== '{"batchItemFailures":[]}') throw new Error(`${kind}: batch not fully replicated: ${JSON.stringify(inv.result)}`);
  }
  // Both transactions are committed and visible: the target's last stable offset covers the records (+ markers).
  const [offsets] = await withKafkaAdmin(target, (admin) => admin.fetchTopicOffsets(topic));
  if (!offsets || BigInt(offsets.high) < BigInt(2 * records)) throw new Error(`${kind}: target ${topic} ends at ${offsets?.high}, expected ≥ ${2 * records}`);
  await Promise.all([source, target].map((kafka) => withKafkaAdmin(kafka, (admin) => admin.deleteTopics([topic])).catch(() => undefined)));
  return { initMs: r.initMs, firstBatchMs: r.invocations[0]!.ms, warmBatchMs: r.invocations[1]!.ms, processMs };
}

const results = new Map<KafkaClientKind, Run[]>(clients.map((c) => [c, []]));
try {
  for (let i = 0; i < runs; i++) {
    // Alternate the order so neither client always runs right after the other.
    for (const kind of i % 2 === 0 ? clients : [...clients].reverse()) {
      const run = await once(kind);
      results.get(kind)!.push(run);
      process.stderr.write(`run ${i + 1}/${runs} ${kind}: init ${run.initMs.toFixed(1)} ms + first batch ${run.firstBatchMs.toFixed(1)} ms (warm batch ${run.warmBatchMs.toFixed(1)} ms)\n`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const stats = (xs: number[]) => ({ median: Math.round(sorted(xs)[Math.floor(xs.length / 2)]! * 10) / 10, fastest: Math.round(sorted(xs)[0]! * 10) / 10 });
const table = clients.map((kind) => {
  const rs = results.get(kind)!;
  return {
    client: kind,
    init: stats(rs.map((r) => r.initMs)),
    firstBatch: stats(rs.map((r) => r.firstBatchMs)),
    initToFirstBatchCommitted: stats(rs.map((r) => r.initMs + r.firstBatchMs)),
    warmBatch: stats(rs.map((r) => r.warmBatchMs)),
    process: stats(rs.map((r) => r.processMs)),
  };
});
if (values.json) {
  process.stdout.write(`${JSON.stringify({ node: process.version, runs, records, size, table }, null, 2)}\n`);
} else {
  const ms = (s: { median: number; fastest: number }) => `${s.median} / ${s.fastest}`;
  process.stdout.write(`bridge bundle cold start, ${records} × ${size} B per batch, median / fastest of ${runs} (ms), ${process.version}\n`);
  process.stdout.write('| client | module init | first batch committed | init → first batch committed | second batch (warm) |\n|---|---:|---:|---:|---:|\n');
  for (const row of table) process.stdout.write(`| ${row.client} | ${ms(row.init)} | ${ms(row.firstBatch)} | ${ms(row.initToFirstBatchCommitted)} | ${ms(row.warmBatch)} |\n`);
}
