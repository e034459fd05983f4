import type { Command } from 'commander';
import { addBridgeConnectionOptions, resolveBridgeConnections } from '../connectionOptions';

interface VerifyOptions {
  topics?: string[];
  bridgeId?: string;
  offsetMapTopic?: string;
  json?: boolean;
}

/**
 * `kbridge verify`: per partition, record counts and an order-sensitive checksum of (key, value, headers,
 * timestamp) on source and target over the range the bridge replicated; a topic repartitioned by key is
 * compared as a whole (counts, content checksum, per-key order, key placement). Exit 1 on any difference.
 */
export function register(program: Command): void {
  const verify = program
    .command('verify')
    .description('Compare source and target per partition over the replicated range (counts + order-sensitive checksums)')
    .option('--topics <topics...>', 'source topics to check (default: every topic in the offset map)')
    .option('--bridge-id <id>', 'only this bridge\'s offset-map entries')
    .option('--offset-map-topic <topic>', 'offset-map topic on the target', '__kbridge_offset_map')
    .option('--json', 'machine output');
  addBridgeConnectionOptions(verify).action(async (opts: VerifyOptions) => {
      const [{ connectBridgeClusters }, { verifyReplication }, { default: Table }] = await Promise.all([
        import('../../bridge/cliClients'),
        import('../../bridge/verify'),
        import('cli-table3'),
      ]);
      const { source, target, targetAdmin, close } = await connectBridgeClusters(await resolveBridgeConnections(opts, process.env));
      try {
        const report = await verifyReplication({
          source,
          target,
          targetAdmin,
          ...(opts.topics ? { topics: opts.topics } : {}),
          ...(opts.bridgeId ? { bridgeId: opts.bridgeId } : {}),
          ...(opts.offsetMapTopic ? { offsetMapTopic: opts.offsetMapTopic } : {}),
        });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
        } else {
          const table = new Table({ head: ['topic', 'partition', 'source range', 'source n', 'target n', 'dead-lettered', 'source sum', 'target sum', 'result'] });
          for (const p of report.partitions) {
            table.push([
              p.sourceTopic === p.targetTopic ? p.sourceTopic : `${p.sourceTopic} → ${p.targetTopic}`,
              p.partition,
              `[${p.sourceRange[0]}, ${p.sourceRange[1]})`,
              p.sourceCount,
              p.targetCount,
              p.deadLettered,
              p.sourceChecksum,
              p.targetChecksum,
              p.match ? 'ok' : 'DIFFERENT',
            ]);
          }
          let repartitioned = '';
          if (report.repartitioned.length > 0) {
            // Repartitioned by key: per-partition checksums cannot match, so the whole topic is compared.
            const r = new Table({ head: ['topic (repartitioned by key)', 'partitions', 'source n', 'target n', 'dead-lettered', 'source sum', 'target sum', 'keys in order', 'misplaced', 'result'] });
            for (const t of report.repartitioned) {
              r.push([
                t.sourceTopic === t.targetTopic ? t.sourceTopic : `${t.sourceTopic} → ${t.targetTopic}`,
                `${t.sourcePartitions} → ${t.targetPartitions}`,
                t.sourceCount,
                t.targetCount,
                t.deadLettered,
                t.sourceChecksum,
                t.targetChecksum,
                `${t.keysCompared - t.keysDifferent}/${t.keysCompared}${t.keysInSeveralSourcePartitions ? ` (+${t.keysInSeveralSourcePartitions} in several source partitions)` : ''}`,
                t.misplaced,
                t.match ? 'ok' : 'DIFFERENT',
              ]);
            }
            repartitioned = `${r.toString()}\n`;
          }
          process.stdout.write(`${report.partitions.length > 0 ? `${table.toString()}\n` : ''}${repartitioned}${report.ok ? 'All partitions match.' : 'Differences found.'}\n`);
        }
        if (!report.ok || report.partitions.length + report.repartitioned.length === 0) process.exitCode = 1;
      } finally {
        await close();
      }
    });
}
