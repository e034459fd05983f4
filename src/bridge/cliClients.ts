import type { Admin, Kafka } from 'kafkajs';
import { BootstrapServersSchema, parseConfig } from '../config/parse';
import { createKafka } from '../kafka/factory';

export interface BridgeClusters {
  source: Kafka;
  target: Kafka;
  sourceAdmin: Admin;
  targetAdmin: Admin;
  close(): Promise<void>;
}

/**
 * Source and target clients with connected admins for the bridge's CLI commands (`--source`/`--target`
 * bootstrap lists, PLAINTEXT, fail fast).
 *
 * @example
 * ```ts
 * const clusters = await connectBridgeClusters(opts.source, opts.target);
 * try { ... } finally { await clusters.close(); }
 * ```
 */
export async function connectBridgeClusters(sourceServers: string, targetServers: string): Promise<BridgeClusters> {
  const deps = { retry: { retries: 2 }, logLevel: 'error' as const };
  const source = await createKafka({ name: 'source', bootstrapServers: parseConfig(BootstrapServersSchema, sourceServers, '--source'), auth: { type: 'none' } }, deps);
  const target = await createKafka({ name: 'target', bootstrapServers: parseConfig(BootstrapServersSchema, targetServers, '--target'), auth: { type: 'none' } }, deps);
  const sourceAdmin = source.admin();
  const targetAdmin = target.admin();
  await Promise.all([sourceAdmin.connect(), targetAdmin.connect()]);
  return {
    source,
    target,
    sourceAdmin,
    targetAdmin,
    async close() {
      await Promise.allSettled([sourceAdmin.disconnect(), targetAdmin.disconnect()]);
    },
  };
}
