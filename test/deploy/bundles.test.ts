import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListMetricsCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import YAML from 'yaml';
import { resolveAwsClientConfig } from '../../src/adapters/aws/clientConfig';
import { createBucket, createBusToQueue, createQueue, createStream, createTable, createTopicToQueue, receiveAll } from '../integration/sinks/support';
import { withKafkaAdmin, withKafkaProducer } from '../../src/kafka';
import { consumeRecords, createTestTopic, localKafkaClient, localKafkaConfig, testKafkaClientKind, uniqueName, waitFor } from '../support/helpers';

// Issue 15: every function runs from its built bundle — the files serverless.yml zips for it, copied out of the
// repository (nothing resolves from its node_modules), in a fresh Node 22 process, through the handler serverless.yml
// names, with its sample event from events/, against the local clusters and moto; each asserts the function's effect.

const ROOT = resolve(__dirname, '../..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
// Imports the bundle, calls the handler with the event, prints the result after this marker (and the .node files loaded).
const RUNNER = join(ROOT, 'scripts', 'run-bundle.mjs');
const RESULT = '__KBRIDGE_BUNDLE_RESULT__';
const LAMBDA_ARCH: Record<string, string> = { arm64: 'arm64', x86_64: 'x64' };
const sampleKey = Buffer.from('abcDEFghiJKLmnoPQRstuVWXyz1234==', 'base64');

interface Declared {
  key: string;
  folder: string;
  handlerFile: string;
  handlerExport: string;
  patterns: string[];
  arch: string;
}

interface RunResult {
  initMs?: number;
  invokeMs?: number;
  result?: unknown;
  error?: string;
  phase?: 'init' | 'invoke';
  /** Native modules the process loaded (process.dlopen). */
  native: string[];
  output: string;
}

const serverless = YAML.parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { merge: true }) as {
  provider: { architecture?: string };
  functions: Record<string, { handler: string; architecture?: string; package: { patterns: string[] } }>;
};

/** serverless.yml's functions: key, bundle folder, handler file and export, zip patterns, Lambda architecture. */
function declaredFunctions(): Declared[] {
  return Object.entries(serverless.functions).map(([key, fn]) => {
    const match = /^\.build\/([^/]+)\/([^/.]+)\.(\w+)$/.exec(fn.handler);
    if (!match) throw new Error(`${key}: handler "${fn.handler}" is not .build/<function>/<file>.<export>`);
    return {
      key,
      folder: match[1]!,
      handlerFile: `${match[2]}.js`,
      handlerExport: match[3]!,
      patterns: fn.package.patterns,
      arch: LAMBDA_ARCH[fn.architecture ?? serverless.provider.architecture ?? 'x86_64']!,
    };
  });
}

/** osls-style include/exclude patterns, in order (`!` excludes): enough for the `*`/`**` forms serverless.yml uses. */
function zipped(path: string, patterns: string[]): boolean {
  const toRegExp = (glob: string) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\uffff').replace(/\*/g, '[^/]*').replace(/\uffff/g, '.*')}$`);
  let included = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (toRegExp(p.slice(1)).test(path)) included = false;
    } else if (toRegExp(p).test(path)) included = true;
  }
  return included;
}

let work: string;
/** This file's own build (`npm run build` into a folder of its own: other tests build into .build at the same time). */
let built: string;

/**
 * The function's zip contents, unpacked into a fresh folder. When this machine's architecture is not the one the
 * function deploys on, the bundle carries the other architecture's CRC32C binary (checked here by its ELF header),
 * and this machine's binary from node_modules is added beside it, so that the same loader path runs here.
 */
function unpack(fn: Declared, label = fn.folder): { dir: string; added: string[] } {
  const dir = join(work, label);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const buildDir = join(built, fn.folder);
  const files = readdirSync(buildDir).filter((f) => zipped(`.build/${fn.folder}/${f}`, fn.patterns));
  for (const f of files) cpSync(join(buildDir, f), join(dir, f));
  const added: string[] = [];
  const deployBinary = `crc32.linux-${fn.arch}-gnu.node`;
  if (files.includes(deployBinary) && fn.arch !== process.arch) {
    const machine = readFileSync(join(dir, deployBinary)).readUInt16LE(18);
    if (machine !== ({ arm64: 183, x64: 62 } as Record<string, number>)[fn.arch]) throw new Error(`${fn.key}: ${deployBinary} is not a ${fn.arch} binary (ELF machine ${machine})`);
    const host = `crc32.linux-${process.arch}-gnu.node`;
    cpSync(join(ROOT, 'node_modules', '@node-rs', `crc32-linux-${process.arch}-gnu`, host), join(dir, host));
    added.push(host);
  }
  return { dir, added };
}


/** Run `fn` from `dir` in a fresh Node process with `event` and `env` (plus the AWS settings of moto). */
function run(fn: Declared, dir: string, event: unknown, env: Record<string, string>): Promise<RunResult> {
  const eventFile = join(dir, '..', `${fn.folder}-${uniqueName('event')}.json`);
  writeFileSync(eventFile, JSON.stringify(event));
  const aws = inject('aws');
  const child = spawn(NODE, [RUNNER, join(dir, fn.handlerFile), fn.handlerExport, fn.key, eventFile], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_LAMBDA_FUNCTION_NAME: fn.key,
      POWERTOOLS_SERVICE_NAME: 'kafka-msk-bridge',
      POWERTOOLS_METRICS_NAMESPACE: 'KafkaMskBridge',
      KAFKA_CLIENT: testKafkaClientKind(),
      ...env,
    },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = output.split('\n').find((l) => l.startsWith(RESULT));
      const parsed = line ? (JSON.parse(line.slice(RESULT.length)) as Omit<RunResult, 'output'>) : { error: `no result (exit ${code})`, native: [] };
      resolvePromise({ ...parsed, output: output.slice(-3000) });
    });
  });
}

/** A failure message that names the function, the phase and the process's last output. */
const failed = (fn: Declared, r: RunResult) => `${fn.key}: ${r.phase ?? ''} ${r.error ?? ''}\n${r.output}`;

const byFolder = (folder: string): Declared => {
  const fn = declaredFunctions().find((f) => f.folder === folder);
  if (!fn) throw new Error(`serverless.yml declares no function built into .build/${folder}`);
  return fn;
};
const event = (name: string) => JSON.parse(readFileSync(join(ROOT, 'events', name), 'utf8')) as Record<string, unknown>;
const timings: Record<string, { initMs?: number; invokeMs?: number }> = {};

beforeAll(async () => {
  // One build for the whole file: exactly what `npm run build` makes and serverless.yml zips (from .build/<fn>/).
  work = mkdtempSync(join(tmpdir(), 'kbridge-bundles-'));
  built = join(work, 'build');
  await promisify(execFile)(NODE, [join(ROOT, 'scripts', 'build.mjs'), '--outdir', built], { cwd: ROOT, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
}, 600_000);

afterAll(() => {
  if (Object.keys(timings).length > 0) writeFileSync(join(ROOT, '.build', 'bundle-timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('every function from its bundle', () => {
  it('has a sample event and a bundle, and its bundle loads from the zipped files alone', async () => {
    // Prepare
    const declared = declaredFunctions();
    expect(declared.length).toBeGreaterThanOrEqual(20);

    // Act
    const loads = await Promise.all(
      declared.map(async (fn) => {
        const { dir } = unpack(fn, `load-${fn.key}`); // by key: two functions (bridge, bridgeReverse) share one folder
        const sample = join(ROOT, 'events', `${fn.folder}.json`);
        const r = await run(fn, dir, { load: 'only' }, loadEnv(fn));
        return { fn, hasEvent: existsSync(sample), r };
      }),
    );

    // Assess — init must succeed (the handler may then reject the dummy event: only init is checked here).
    for (const { fn, hasEvent, r } of loads) {
      expect(hasEvent, `${fn.key}: events/${fn.folder}.json is missing`).toBe(true);
      expect(r.phase === 'init' ? r.error : undefined, failed(fn, r)).toBeUndefined();
      expect(r.initMs, failed(fn, r)).toBeTypeOf('number');
    }
  }, 240_000);

  it('bridge: replicates the documented sample event (non-UTF-8 key) to the target, native CRC32C on platformatic', async () => {
    // Prepare
    const fn = byFolder('bridge');
    const source = await localKafkaClient('source');
    const target = await localKafkaClient('target');
    const results: Array<{ kind: string; r: RunResult; topic: string }> = [];
    try {
      for (const kind of ['kafkajs', 'platformatic']) {
        const topic = await createTestTopic(source, 1, 'bundle-bridge');
        const sample = event('bridge.json');
        const records = (sample.records as Record<string, Array<Record<string, unknown>>>)['mytopic-0']!.map((r) => ({ ...r, topic }));
        const { dir, added } = unpack(fn, `bridge-${kind}`);

        // Act
        const r = await run(fn, dir, { ...sample, records: { [`${topic}-0`]: records } }, {
          BRIDGE_ID: uniqueName('bundle'),
          TARGET_BOOTSTRAP_SERVERS: localKafkaConfig('target').bootstrapServers.join(','),
          SOURCE_BOOTSTRAP_SERVERS: localKafkaConfig('source').bootstrapServers.join(','),
          KAFKA_CLIENT: kind,
        });
        results.push({ kind, r, topic });

        // Assess
        expect(r.error, failed(fn, r)).toBeUndefined();
        expect(r.result).toEqual({ batchItemFailures: [] });
        const [copy] = await consumeRecords(target, topic, 1);
        expect(Buffer.from(copy!.key ?? []).equals(sampleKey)).toBe(true);
        if (kind === 'platformatic') {
          // The native binary is what the library used: loaded from the function folder, not from node_modules.
          expect(r.native.map((p) => p.slice(dir.length + 1)), `${fn.key} (${kind}): native CRC32C not loaded (${added.join(', ') || 'deploy arch'})`).toContain(
            `crc32.linux-${process.arch}-gnu.node`,
          );
        }
      }
    } finally {
      // A KafkaClient holds no connection itself: admins, producers and consumers close their own.
    }
    for (const { kind, r } of results) timings[`bridge (${kind})`] = { initMs: r.initMs, invokeMs: r.invokeMs };
  }, 180_000);

  it('sinks: each delivers its sample event to its destination in moto (sqs and dynamodb: Lambda\'s documented sample)', async () => {
    // Prepare
    const cleanup: Array<() => Promise<void>> = [];
    const aws = resolveAwsClientConfig(process.env);
    const { SQSClient } = await import('@aws-sdk/client-sqs');
    const sqs = new SQSClient(aws.client);
    try {
      const queue = await createQueue(sqs, 'bundle-sqs', cleanup);
      const topic = await createTopicToQueue(sqs, 'bundle-sns', cleanup);
      const bus = await createBusToQueue(sqs, 'kafka-msk-bridge', cleanup);
      const stream = await createStream(cleanup);
      const bucket = await createBucket(cleanup);
      const table = await createTable([{ name: 'pk', type: 'S', role: 'HASH' }], cleanup);
      const cases: Array<{ folder: string; sample: string; env: Record<string, string>; effect: () => Promise<number> }> = [
        { folder: 'sink-sqs', sample: 'kafka-msk.json', env: { QUEUE_URL: queue }, effect: async () => (await receiveAll(sqs, queue)).length },
        { folder: 'sink-sns', sample: 'sink-sns.json', env: { TOPIC_ARN: topic.topicArn }, effect: async () => (await receiveAll(sqs, topic.queueUrl)).length },
        { folder: 'sink-eventbridge', sample: 'sink-eventbridge.json', env: { EVENT_BUS_NAME: bus.bus }, effect: async () => (await receiveAll(sqs, bus.queueUrl)).length },
        { folder: 'sink-kinesis', sample: 'sink-kinesis.json', env: { STREAM_NAME: stream.stream }, effect: async () => (await stream.readAll()).length },
        { folder: 'sink-s3', sample: 'sink-s3.json', env: { BUCKET: bucket.bucket }, effect: async () => (await bucket.lines()).length },
        {
          folder: 'sink-dynamodb',
          sample: 'kafka-msk.json',
          env: { TABLE_NAME: table.name },
          effect: async () => (await table.ddb.send(new ScanCommand({ TableName: table.name }))).Items?.length ?? 0,
        },
      ];

      for (const c of cases) {
        const fn = byFolder(c.folder);
        const { dir } = unpack(fn);

        // Act
        const r = await run(fn, dir, event(c.sample), c.env);

        // Assess
        expect(r.error, failed(fn, r)).toBeUndefined();
        expect(r.result, failed(fn, r)).toEqual({ batchItemFailures: [] });
        const delivered = await waitFor(`${fn.key}: its sample event at the destination`, async () => {
          // Each probe reads (and, for a queue, consumes) what arrived: count it once.
          const n = await c.effect();
          return n > 0 ? n : undefined;
        }, { timeoutMs: 30_000 });
        expect(delivered, `${fn.key}: nothing arrived`).toBeGreaterThan(0);
        timings[fn.key] = { initMs: r.initMs, invokeMs: r.invokeMs };
      }
    } finally {
      for (const c of cleanup.reverse()) await c().catch(() => undefined);
      sqs.destroy();
    }
  }, 240_000);

  it('cutover-switch-consumer-config switches the SSM entry; cutover-approval audits the pending approval in S3', async () => {
    // Prepare
    const aws = resolveAwsClientConfig(process.env);
    const ssm = new SSMClient(aws.client);
    const s3 = new S3Client(aws.s3);
    const auditBucket = uniqueName('bundle-audit').toLowerCase();
    await s3.send(new CreateBucketCommand({ Bucket: auditBucket }));
    const sample = event('cutover-switch-consumer-config.json') as { plan: { cutoverId: string; configEntries: Array<{ id: string; role: string }> } };
    const entry = sample.plan.configEntries.find((e) => e.role === 'consumer')!;
    const id = `/${uniqueName('bundle')}${entry.id}`;
    const plan = { ...sample.plan, cutoverId: uniqueName('bundle-cutover'), configEntries: sample.plan.configEntries.map((e) => (e === entry ? { ...e, id } : e)).filter((e) => e.role === 'consumer') };
    await ssm.send(new PutParameterCommand({ Name: id, Type: 'SecureString', Value: JSON.stringify({ bootstrapServers: '127.0.0.1:19092', cluster: 'source' }) }));
    const env = { CUTOVER_AUDIT_BUCKET: auditBucket, CUTOVER_AUDIT_PREFIX: 'cutovers/' };
    try {
      const switchFn = byFolder('cutover-switch-consumer-config');
      const approvalFn = byFolder('cutover-approval');

      // Act
      const switched = await run(switchFn, unpack(switchFn).dir, { ...sample, plan }, env);
      const approval = await run(approvalFn, unpack(approvalFn).dir, { ...event('cutover-approval.json'), plan }, env);

      // Assess
      expect(switched.error, failed(switchFn, switched)).toBeUndefined();
      const value = JSON.parse((await ssm.send(new GetParameterCommand({ Name: id, WithDecryption: true }))).Parameter?.Value ?? '{}') as Record<string, unknown>;
      expect(value).toMatchObject({ bootstrapServers: '127.0.0.1:29092', cluster: 'target' });
      expect(approval.error, failed(approvalFn, approval)).toBeUndefined();
      expect(approval.result).toEqual({ pending: true });
      const audit = await s3.send(new ListObjectsV2Command({ Bucket: auditBucket, Prefix: `cutovers/${plan.cutoverId}/` }));
      expect((audit.Contents ?? []).map((o) => o.Key).join(' ')).toMatch(/approval/);
      timings[switchFn.key] = { initMs: switched.initMs, invokeMs: switched.invokeMs };
      timings[approvalFn.key] = { initMs: approval.initMs, invokeMs: approval.invokeMs };
    } finally {
      ssm.destroy();
      s3.destroy();
    }
  }, 120_000);

  it('cutover steps: a stop-drain-switch cutover, each step from its bundle, over the local clusters, SSM and S3 in moto', async () => {
    // Prepare — a bridged topic with a source group that consumed all of it, a producer and a consumer config entry in
    // SSM. The plan has no Lambda triggers: moto implements event source mappings for SQS, DynamoDB and Kinesis only,
    // so the steps that create, disable or enable Kafka mappings (stopSourceConsumers, startTargetConsumers,
    // decommissionReverseBridge) are load-checked above and their AWS requests unit-tested with a stubbed client
    // (test/unit/cutover/definition.test.ts).
    const aws = resolveAwsClientConfig(process.env);
    const ssm = new SSMClient(aws.client);
    const s3 = new S3Client(aws.s3);
    const source = await localKafkaClient('source');
    const target = await localKafkaClient('target');
    const auditBucket = uniqueName('bundle-cutover').toLowerCase();
    await s3.send(new CreateBucketCommand({ Bucket: auditBucket }));
    const topic = await createTestTopic(source, 1, 'bundle-cutover');
    const group = uniqueName('bundle-group');
    const bridgeId = uniqueName('bundle-bridge');
    const values = ['a', 'b', 'c'].map((v) => Buffer.from(`record ${v}`));
    await withKafkaProducer(source, (p) => p.send(topic, values.map((value, i) => ({ key: `k${i}`, value, partition: 0 }))));
    await withKafkaAdmin(source, (admin) => admin.commitGroupOffsets(group, [{ topic, partitions: [{ partition: 0, offset: '3' }] }]));
    const bridge = byFolder('bridge');
    const bridged = await run(bridge, unpack(bridge, 'cutover-bridge').dir, {
      ...event('bridge.json'),
      records: { [`${topic}-0`]: values.map((value, offset) => ({ topic, partition: 0, offset, timestamp: Date.now(), timestampType: 'CREATE_TIME', key: Buffer.from(`k${offset}`).toString('base64'), value: value.toString('base64'), headers: [] })) },
    }, { BRIDGE_ID: bridgeId, TARGET_BOOTSTRAP_SERVERS: localKafkaConfig('target').bootstrapServers.join(','), SOURCE_BOOTSTRAP_SERVERS: localKafkaConfig('source').bootstrapServers.join(',') });
    expect(bridged.error, failed(bridge, bridged)).toBeUndefined();

    const sample = event('cutover-preflight.json') as { plan: Record<string, unknown> & { configEntries: Array<{ id: string; role: string; targetValue: Record<string, unknown> }> } };
    const prefix = `/${uniqueName('bundle')}`;
    const sourceValue = { bootstrapServers: localKafkaConfig('source').bootstrapServers.join(','), cluster: 'source' };
    const targetValue = { bootstrapServers: localKafkaConfig('target').bootstrapServers.join(','), cluster: 'target' };
    const entries = sample.plan.configEntries.map((e) => ({ ...e, id: `${prefix}${e.id}`, targetValue }));
    for (const e of entries) await ssm.send(new PutParameterCommand({ Name: e.id, Type: 'SecureString', Value: JSON.stringify(sourceValue) }));
    const plan = {
      ...sample.plan,
      cutoverId: uniqueName('bundle-cutover'),
      source: { name: 'source', bootstrapServers: sourceValue.bootstrapServers, auth: { type: 'none' } },
      target: { name: 'target', bootstrapServers: targetValue.bootstrapServers, auth: { type: 'none' } },
      bridge: { bridgeId },
      topics: [topic],
      consumerGroups: [{ groupId: group }],
      configEntries: entries,
      drain: { minSamples: 1, minWindowSeconds: 0, requireBridge: true },
      verify: { minNewTargetRecords: 1, minSamples: 1 },
    };
    const producerEntry = entries.find((e) => e.role === 'producer')!.id;
    const consumerEntry = entries.find((e) => e.role === 'consumer')!.id;
    const entry = async (name: string) => JSON.parse((await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value ?? '{}') as Record<string, unknown>;
    const env = { CUTOVER_AUDIT_BUCKET: auditBucket, CUTOVER_AUDIT_PREFIX: 'cutovers/' };
    /** One step from its bundle with its sample event (the state machine's input at that step) carrying this plan. */
    const step = async (folder: string, input: Record<string, unknown> = {}) => {
      const fn = byFolder(folder);
      const r = await run(fn, unpack(fn).dir, { ...event(`${folder}.json`), ...input, plan: input.plan ?? plan }, env);
      expect(r.error, failed(fn, r)).toBeUndefined();
      timings[fn.key] = { initMs: r.initMs, invokeMs: r.invokeMs };
      return r.result as { step: string; status: string; detail?: Record<string, unknown> };
    };
    // The migrated consumer on the target: a member of the group that commits what it reads (verify needs members).
    const consumer = target.consumer({ groupId: group, topics: [topic], fromBeginning: false, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitTimeMs: 100 });
    try {
      // Act + Assess, in the state machine's order
      const preflight = await step('cutover-preflight');
      expect(preflight).toMatchObject({ step: 'preflight', status: 'done' });
      expect(JSON.stringify(preflight.detail)).toContain(topic);

      await step('cutover-fence-producers');
      expect(await entry(producerEntry)).toEqual({ ...sourceValue, paused: true });

      expect(await step('cutover-wait-drained')).toMatchObject({ step: 'waitDrained', status: 'done' });

      const seeded = await step('cutover-translate-and-seed-offsets');
      const seededOffset = (seeded.detail as { groups: Record<string, Record<string, { source: string; target: string }>> }).groups[group]?.[`${topic}:0`];
      expect(seededOffset?.source).toBe('3');
      const [committed] = await withKafkaAdmin(target, (admin) => admin.fetchCommittedOffsets(group, [topic]));
      expect(committed?.offset).toBe(seededOffset?.target);
      expect(BigInt(committed?.offset ?? '0')).toBeGreaterThanOrEqual(3n);

      await step('cutover-switch-consumer-config');
      await step('cutover-switch-producer-config');
      expect(await entry(consumerEntry)).toEqual(targetValue);
      expect(await entry(producerEntry)).toMatchObject({ ...targetValue, paused: true });

      const started = await step('cutover-start-target-producers');
      expect(started.detail).toHaveProperty('targetEnds');
      expect(await entry(producerEntry)).toMatchObject({ ...targetValue, paused: false });

      // The producer now writes to the target and the migrated consumer reads it from the seeded offset.
      await consumer.start({ onBatch: (batch) => consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset.toString() }]) });
      await withKafkaProducer(target, (p) => p.send(topic, [{ key: 'after', value: 'written on the target', partition: 0 }]));
      const [end] = await withKafkaAdmin(target, (admin) => admin.fetchTopicOffsets(topic));
      await waitFor('the target group to consume the new record', async () => {
        const [c] = await withKafkaAdmin(target, (admin) => admin.fetchCommittedOffsets(group, [topic]));
        return c?.offset === end?.high;
      }, { timeoutMs: 30_000 });
      const verified = await step('cutover-verify');
      expect(verified).toMatchObject({ step: 'verify', status: 'done' });
      // (The step result is JSON: bigints as {"$bigint": "…"}, src/cutover/context.ts toJsonSafe.)
      expect(verified.detail).toMatchObject({ newTargetRecords: { $bigint: '1' }, groups: { [group]: { members: 1, lag: { $bigint: '0' } } } });

      // Rollback (from a failed verify, as the state machine's Catch would): the switches and the fence are undone.
      const rolledBack = await step('cutover-rollback', { error: { Error: 'VerificationError', Cause: '{"errorType":"VerificationError"}' } });
      expect(rolledBack).toMatchObject({ step: 'rollback', status: 'done' });
      expect(await entry(consumerEntry)).toEqual(sourceValue);
      expect(await entry(producerEntry)).toEqual(sourceValue);
      const audit = await s3.send(new ListObjectsV2Command({ Bucket: auditBucket, Prefix: `cutovers/${plan.cutoverId}/` }));
      expect((audit.Contents ?? []).length).toBeGreaterThan(8);
    } finally {
      await consumer.close().catch(() => undefined);
      ssm.destroy();
      s3.destroy();
    }
  }, 240_000);

  it('lag-monitor publishes its metrics to CloudWatch in moto', async () => {
    // Prepare
    const fn = byFolder('lag-monitor');
    const namespace = uniqueName('KBridgeBundle');
    const aws = resolveAwsClientConfig(process.env);
    const config = { namespace, clusters: [{ name: 'source', include: '^bundle-' }, { name: 'target', include: '^bundle-' }] };

    // Act
    const r = await run(fn, unpack(fn).dir, event('lag-monitor.json'), {
      LAG_MONITOR_CONFIG: JSON.stringify(config),
      SOURCE_BOOTSTRAP_SERVERS: localKafkaConfig('source').bootstrapServers.join(','),
      TARGET_BOOTSTRAP_SERVERS: localKafkaConfig('target').bootstrapServers.join(','),
    });

    // Assess
    expect(r.error, failed(fn, r)).toBeUndefined();
    const cw = new CloudWatchClient(aws.cloudWatch ?? aws.client);
    try {
      const metrics = await cw.send(new ListMetricsCommand({ Namespace: namespace }));
      expect((metrics.Metrics ?? []).length, `${fn.key}: no metric in ${namespace}`).toBeGreaterThan(0);
    } finally {
      cw.destroy();
    }
    timings[fn.key] = { initMs: r.initMs, invokeMs: r.invokeMs };
  }, 120_000);
});

/** The environment a function needs for its module init (config parsed at module start), with placeholder values. */
function loadEnv(fn: Declared): Record<string, string> {
  const q = 'https://sqs.eu-west-1.amazonaws.com/123456789012/q';
  if (fn.folder === 'bridge') return { BRIDGE_ID: 'load', TARGET_BOOTSTRAP_SERVERS: '127.0.0.1:9' };
  if (fn.folder === 'lag-monitor') return { LAG_MONITOR_CONFIG: '{"namespace":"x","clusters":[{"name":"source"}]}', SOURCE_BOOTSTRAP_SERVERS: '127.0.0.1:9' };
  if (fn.folder.startsWith('cutover-')) return { CUTOVER_AUDIT_BUCKET: 'bucket' };
  const sink: Record<string, Record<string, string>> = {
    'sink-sqs': { QUEUE_URL: q },
    'sink-sns': { TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:t' },
    'sink-eventbridge': {},
    'sink-kinesis': { STREAM_NAME: 's' },
    'sink-s3': { BUCKET: 'b' },
    'sink-dynamodb': { TABLE_NAME: 't' },
  };
  return sink[fn.folder] ?? {};
}
