import { createKafkaClient, type CreateKafkaDeps } from '../kafka/factory';
import type { KafkaLogLevelName } from '../kafka/logging';
import type { KafkaAdmin, KafkaClient } from '../kafka/port';
import type { SecretReader } from '../kafka/secrets';
import type { KafkaConnectionConfig } from '../kafka/types';

/** What {@link connectBridgeClusters} connects to: both configs, and the secret reader when one references a secret. */
export interface BridgeConnections {
  source: KafkaConnectionConfig;
  target: KafkaConnectionConfig;
  secrets?: SecretReader;
  /** Client library log level (default `nothing`: the commands report failures themselves). */
  logLevel?: KafkaLogLevelName;
}

export interface BridgeClusters {
  source: KafkaClient;
  target: KafkaClient;
  sourceAdmin: KafkaAdmin;
  targetAdmin: KafkaAdmin;
  close(): Promise<void>;
}

/**
 * Source and target clients with connected admins for the bridge's CLI commands, from connection configs
 * parsed at the edge (`resolveConnection` in `src/cli/connectionOptions.ts`: PLAINTEXT, TLS, SASL, mTLS, IAM),
 * through the process's Kafka client (`--kafka-client` / `KAFKA_CLIENT`). Fails fast (two retries); a failed
 * connect comes out in our taxonomy naming the cluster and mechanism (a rejected password is a KafkaAuthError).
 * `secrets` is needed when a config references a Secrets Manager secret.
 *
 * @example
 * ```ts
 * const clusters = await connectBridgeClusters(await resolveBridgeConnections(opts, process.env));
 * try { ... } finally { await clusters.close(); }
 * ```
 */
export async function connectBridgeClusters(connections: BridgeConnections): Promise<BridgeClusters> {
  const options: CreateKafkaDeps = { retries: 2, logLevel: connections.logLevel ?? 'nothing', ...(connections.secrets ? { secrets: connections.secrets } : {}) };
  const source = await createKafkaClient(connections.source, options);
  const target = await createKafkaClient(connections.target, options);
  const [sourceAdmin, targetAdmin] = await Promise.allSettled([source.admin(), target.admin()]);
  if (sourceAdmin.status === 'rejected' || targetAdmin.status === 'rejected') {
    await Promise.allSettled([sourceAdmin, targetAdmin].map((a) => (a.status === 'fulfilled' ? a.value.close() : undefined)));
    throw sourceAdmin.status === 'rejected' ? sourceAdmin.reason : (targetAdmin as PromiseRejectedResult).reason;
  }
  return {
    source,
    target,
    sourceAdmin: sourceAdmin.value,
    targetAdmin: targetAdmin.value,
    async close() {
      await Promise.allSettled([sourceAdmin.value.close(), targetAdmin.value.close()]);
    },
  };
}
