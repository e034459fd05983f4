import type { Command } from 'commander';

interface VerifyOptions {
  source: string;
  target: string;
  topics?: string[];
  bridgeId?: string;
  offsetMapTopic?: string;
  json?: boolean;
}

/**
 * `kbridge verify`: per partition, record counts and an order-sensitive checksum of (key, value, headers,
 * timestamp) on source and target over the range the bridge replicated. Exit 1 on any difference.
 */
export function register(program: Command): void {
  program
    .command('verify')
    .description('Compare source and target per partition over the replicated range (counts + order-sensitive checksums)')
    .requiredOption('--source <servers>', 'source bootstrap servers "host:port[,host:port]" (PLAINTEXT)')
    .requiredOption('--target <servers>', 'target bootstrap servers "host:port[,host:port]" (PLAINTEXT)')
    .option('--topics <topics...>', 'source topics to check (default: every topic in the offset map)')
    .option('--bridge-id <id>', 'only this bridge\'s offset-map entries')
    .option('--offset-map-topic <topic>', 'offset-map topic on the target', '__kbridge_offset_map')
    .option('--json', 'machine output')
    .action(async (opts: VerifyOptions) => {
      const [{ connectBridgeClusters }, { verifyReplication }, { default: Table }] = await Promise.all([
        import('../../bridge/cliClients'),
        import('../../bridge/verify'),
        import('cli-table3'),
      ]);
      const { source, target, targetAdmin, close } = await connectBridgeClusters(opts.source, opts.target);
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
          process.stdout.write(`${table.toString()}\n${report.ok ? 'All partitions match.' : 'Differences found.'}\n`);
        }
        if (!report.ok || report.partitions.length === 0) process.exitCode = 1;
      } finally {
        await close();
      }
    });
}
