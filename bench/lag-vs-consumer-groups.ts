/**
 * Benchmark: our computeLag vs Kafka's own `kafka-consumer-groups --describe --all-groups`
 * (ConsumerGroupCommand from the Maven jars) on the same local cluster, 100 groups × 1,000 partitions
 * (10 topics × 100 partitions, every group committed on every partition at one of 5 positions).
 * Median of 3 runs each; everything created is deleted afterwards (the clusters are shared).
 *
 *     npx tsx bench/lag-vs-consumer-groups.ts [--groups 100] [--topics 10] [--partitions 100] [--runs 3]
 *
 * The Kafka client library is the one `KAFKA_CLIENT` names (kafkajs or platformatic).
 */
import { parseArgs } from 'node:util';
import { createKafkaClient, getDefaultKafkaClient, withKafkaProducer } from '../src/kafka';
import { computeLag } from '../src/lag/computeLag';
import { KafkaLagReader } from '../src/lag/kafkaLagReader';
import { localUp } from '../src/local/clusters/clusters';
import { runKafkaTool } from '../src/local/clusters/kafkaDist';
import { resolveLocalSettings } from '../src/local/clusters/settings';

const { values } = parseArgs({
  options: {
    groups: { type: 'string', default: '100' },
    topics: { type: 'string', default: '10' },
    partitions: { type: 'string', default: '100' },
    runs: { type: 'string', default: '3' },
  },
});
const G = Number(values.groups);
const T = Number(values.topics);
const P = Number(values.partitions);
const RUNS = Number(values.runs);
const settings = resolveLocalSettings(process.env);
const { info } = await localUp(settings);
const bootstrap = info.source.bootstrapServers;
const kafka = await createKafkaClient({ name: 'source', bootstrapServers: bootstrap.split(','), auth: { type: 'none' } }, { logLevel: 'error' });
const admin = await kafka.admin();
const prefix = `benchlag-${Date.now().toString(36)}`;
const topics = Array.from({ length: T }, (_, i) => `${prefix}-t${i}`);
const groups = Array.from({ length: G }, (_, i) => `${prefix}-g${i}`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  let t = Date.now();
  await admin.createTopics(topics.map((topic) => ({ topic, numPartitions: P })), { timeoutMs: 300_000 });
  await withKafkaProducer(kafka, async (producer) => {
    for (const topic of topics) {
      // New partitions on a busy KRaft broker can answer NOT_LEADER for a while after metadata shows a leader.
      for (let attempt = 1; ; attempt++) {
        try {
          await producer.send(topic, Array.from({ length: P * 5 }, (_, i) => ({ partition: i % P, key: null, value: `v${i}` })));
          break;
        } catch (err) {
          if (attempt >= 10) throw err;
          await new Promise((r) => setTimeout(r, 3000));
        }
      }
    }
  });
  // One OffsetCommit with generation -1 and no member per group, as Kafka's own tools send for an empty group.
  for (let i = 0; i < groups.length; i += 10) {
    await Promise.all(
      groups.slice(i, i + 10).map((groupId, k) =>
        admin.commitGroupOffsets(
          groupId,
          topics.map((topic) => ({ topic, partitions: Array.from({ length: P }, (_, p) => ({ partition: p, offset: String((i + k) % 5) })) })),
        ),
      ),
    );
  }
  console.error(`setup: ${T} topics × ${P} partitions, ${G} groups committed on all ${T * P} partitions in ${Date.now() - t} ms`);

  const reader = await KafkaLagReader.connect(kafka, { cluster: 'source' });
  const ours: number[] = [];
  const oursNoTime: number[] = [];
  const tool: number[] = [];
  let rowsOurs = 0;
  let rowsTool = 0;
  let lagOurs = 0n;
  let lagTool = 0n;
  for (let r = 0; r < RUNS; r++) {
    t = Date.now();
    const snap = await computeLag(reader, { include: new RegExp(`^${prefix}-`) });
    ours.push(Date.now() - t);
    rowsOurs = snap.groups.reduce((n, g) => n + g.partitions.length, 0);
    lagOurs = snap.groups.reduce((n, g) => n + g.sumOffsetLag, 0n);
    t = Date.now();
    await computeLag(reader, { include: new RegExp(`^${prefix}-`) }, { timeLag: false });
    oursNoTime.push(Date.now() - t);
    t = Date.now();
    const out = await runKafkaTool(settings.cacheDir, info.kafkaVersion, 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', [
      '--bootstrap-server',
      bootstrap,
      '--describe',
      '--all-groups',
    ]);
    tool.push(Date.now() - t);
    if (out.code !== 0) throw new Error(`ConsumerGroupCommand exited ${out.code}: ${out.output.slice(0, 500)}`);
    const rows = out.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((c) => c[0]?.startsWith(prefix));
    rowsTool = rows.length;
    lagTool = rows.reduce((n, c) => n + BigInt(c[5] === '-' ? 0 : (c[5] ?? 0)), 0n);
    console.error(`run ${r + 1}: ours ${ours[r]} ms (no time lag ${oursNoTime[r]} ms), kafka-consumer-groups ${tool[r]} ms`);
  }
  await reader.close();
  const result = {
    groups: G,
    partitions: T * P,
    rows: { ours: rowsOurs, tool: rowsTool },
    sumLag: { ours: lagOurs.toString(), tool: lagTool.toString() },
    medianMs: { computeLag: median(ours), computeLagWithoutTimeLag: median(oursNoTime), consumerGroupsTool: median(tool) },
    runsMs: { computeLag: ours, computeLagWithoutTimeLag: oursNoTime, consumerGroupsTool: tool },
    kafkaClient: getDefaultKafkaClient(),
    kafkaVersion: info.kafkaVersion,
    node: process.version,
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await admin.deleteGroups(groups).catch((e: unknown) => console.error(`deleteGroups: ${String(e)}`));
  await admin.deleteTopics(topics).catch((e: unknown) => console.error(`deleteTopics: ${String(e)}`));
  await admin.close();
}

// localUp and the Kafka clients may leave timers behind; the results are printed and everything is cleaned up.
process.exit(0);
