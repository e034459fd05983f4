import type { Command } from 'commander';
import { addBridgeConnectionOptions, resolveBridgeConnections } from '../connectionOptions';

interface SyncOptions {
  topics?: string[];
  topicMapping?: string;
  replicationFactor?: string;
  json?: boolean;
}

/**
 * `kbridge topics sync`: create target topics with the source's partition count and mirrored configs;
 * an existing target topic with another partition count is a TopicMismatchError (exit 3).
 */
export function register(program: Command): void {
  const topics = program.command('topics').description('Target topics for the bridge');
  const sync = topics
    .command('sync')
    .description('Create missing target topics with the source partition count and configs; check existing ones')
    .option('--topics <topics...>', 'source topics (default: every non-internal source topic)')
    .option('--topic-mapping <json>', 'same as TOPIC_MAPPING: identity | {"prefix":"x."} | {"map":{"a":"b"}}, optionally with "repartition": "all" | ["topic", ...]')
    .option('--replication-factor <n>', 'replication factor on the target (default: the broker default)')
    .option('--json', 'machine output');
  addBridgeConnectionOptions(sync).action(async (opts: SyncOptions) => {
      const [{ connectBridgeClusters }, { syncTopic }, { isRepartitioned, mapTopic, parseTopicMapping }, { ConfigError }, { default: Table }] = await Promise.all([
        import('../../bridge/cliClients'),
        import('../../bridge/topics'),
        import('../../bridge/topicMapping'),
        import('../../errors'),
        import('cli-table3'),
      ]);
      const mapping = parseTopicMapping(opts.topicMapping, '--topic-mapping');
      if (opts.replicationFactor !== undefined && !/^[1-9]\d*$/.test(opts.replicationFactor)) {
        throw new ConfigError(`--replication-factor expects a positive whole number, got "${opts.replicationFactor}"`, { field: '--replication-factor' });
      }
      const { sourceAdmin, targetAdmin, close } = await connectBridgeClusters(await resolveBridgeConnections(opts, process.env));
      try {
        const names = opts.topics ?? (await sourceAdmin.listTopics()).filter((t) => !t.startsWith('_')).sort();
        const results = [];
        for (const sourceTopic of names) {
          results.push(
            await syncTopic({
              source: sourceAdmin,
              target: targetAdmin,
              sourceTopic,
              targetTopic: mapTopic(mapping, sourceTopic),
              repartition: isRepartitioned(mapping, sourceTopic),
              ...(opts.replicationFactor ? { replicationFactor: Number(opts.replicationFactor) } : {}),
            }),
          );
        }
        if (opts.json) process.stdout.write(`${JSON.stringify({ topics: results })}\n`);
        else {
          const table = new Table({ head: ['source topic', 'target topic', 'partitions', 'action', 'configs copied'] });
          for (const r of results) table.push([r.sourceTopic, r.targetTopic, r.partitions, r.action, Object.entries(r.configs).map(([k, v]) => `${k}=${v}`).join('\n')]);
          process.stdout.write(`${table.toString()}\n`);
        }
      } finally {
        await close();
      }
    });
}
