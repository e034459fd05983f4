import type { Command } from 'commander';
import { addBridgeConnectionOptions, resolveBridgeConnections } from '../connectionOptions';

interface TranslateOptions {
  group: string;
  bridgeId?: string;
  offsetMapTopic?: string;
  apply?: boolean;
  json?: boolean;
}

/**
 * `kbridge offsets translate`: translate every committed offset of a source consumer group through the
 * bridge's offset map to the exact target offset; `--apply` writes them to the same group on the target
 * (refused if that group has members, or if any partition is not exact). Exit 1 when a partition is not exact.
 */
export function register(program: Command): void {
  const offsets = program.command('offsets').description('Consumer-group offsets across the bridge');
  const translate = offsets
    .command('translate')
    .description('Translate a source group\'s committed offsets to exact target offsets (offset map); --apply writes them')
    .requiredOption('--group <id>', 'consumer group id (same id on both clusters)')
    .option('--bridge-id <id>', 'only this bridge\'s offset-map entries (needed when several bridges share the target)')
    .option('--offset-map-topic <topic>', 'offset-map topic on the target', '__kbridge_offset_map')
    .option('--apply', 'write the translated offsets to the target group (it must have no active members)')
    .option('--json', 'machine output (offsets as decimal strings)');
  addBridgeConnectionOptions(translate).action(async (opts: TranslateOptions) => {
      const [{ connectBridgeClusters }, { translateGroupOffsets, applyTranslatedOffsets }, { default: Table }] = await Promise.all([
        import('../../bridge/cliClients'),
        import('../../bridge/translate'),
        import('cli-table3'),
      ]);
      const { source, target, sourceAdmin, targetAdmin, close } = await connectBridgeClusters(await resolveBridgeConnections(opts, process.env));
      try {
        const rows = await translateGroupOffsets({
          source,
          sourceAdmin,
          target,
          targetAdmin,
          groupId: opts.group,
          ...(opts.bridgeId ? { bridgeId: opts.bridgeId } : {}),
          ...(opts.offsetMapTopic ? { offsetMapTopic: opts.offsetMapTopic } : {}),
        });
        if (opts.apply) await applyTranslatedOffsets(targetAdmin, opts.group, rows);
        const exact = rows.every((r) => r.status === 'exact');
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ group: opts.group, applied: Boolean(opts.apply), exact, partitions: rows })}\n`);
        } else {
          const table = new Table({ head: ['source topic', 'partition', 'source offset', 'target topic', 'target offset', 'status'] });
          for (const r of rows) table.push([r.sourceTopic, r.partition, r.sourceOffset, r.targetTopic ?? '', r.targetOffset ?? '', r.detail ? `${r.status} (${r.detail})` : r.status]);
          process.stdout.write(`${table.toString()}\n${opts.apply ? `Applied to group "${opts.group}" on the target.\n` : ''}`);
        }
        if (!exact) process.exitCode = 1;
      } finally {
        await close();
      }
    });
}
