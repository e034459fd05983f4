import type { Admin, Kafka } from 'kafkajs';
import { createKafka, describeKafka, type CreateKafkaDeps } from '../kafka/factory';
import { toKBridgeError } from '../kafka/errors';
import type { SecretReader } from '../kafka/secrets';
import type { KafkaLogLevelName } from '../kafka/logging';
import type { KafkaConnectionConfig } from '../kafka/types';

/** What {@link connectBridgeClusters} connects to: both configs, and the secret reader when one references a secret. */
export interface BridgeConnections {
  source: KafkaConnectionConfig;
  target: KafkaConnectionConfig;
  secrets?: SecretReader;
  /** kafkajs log level (default `nothing`: the commands report failures themselves). */
  logLevel?: KafkaLogLevelName;
}

export interface BridgeClusters {
  source: Kafka;
  target: Kafka;
  sourceAdmin: Admin;
  targetAdmin: Admin;
  close(): Promise<void>;
}

/**
 * Connect an admin (fail fast: two retries). A failed connect comes out in our taxonomy naming the cluster and
 * mechanism (a rejected password is a KafkaAuthError), and the half-open admin is closed first.
 *
 * @example
 * ```ts
 * const admin = await connectAdmin(kafka);
 * ```
 */
export async function connectAdmin(kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    await admin.disconnect().catch(() => undefined);
    const { cluster, mechanism } = describeKafka(kafka);
    throw toKBridgeError(err, { cluster, mechanism, operation: 'connect admin' });
  }
  return admin;
}

/**
 * Source and target clients with connected admins for the bridge's CLI commands, from connection configs
 * parsed at the edge (`resolveConnection` in `src/cli/connectionOptions.ts`: PLAINTEXT, TLS, SASL, mTLS, IAM).
 * `secrets` is needed when a config references a Secrets Manager secret.
 *
 * @example
 * ```ts
 * const clusters = await connectBridgeClusters(await resolveBridgeConnections(opts, process.env));
 * try { ... } finally { await clusters.close(); }
 * ```
 */
export async function connectBridgeClusters(connections: BridgeConnections): Promise<BridgeClusters> {
  const options: CreateKafkaDeps = { retry: { retries: 2 }, logLevel: connections.logLevel ?? 'nothing', ...(connections.secrets ? { secrets: connections.secrets } : {}) };
  const source = await createKafka(connections.source, options);
  const target = await createKafka(connections.target, options);
  const [sourceAdmin, targetAdmin] = await Promise.allSettled([connectAdmin(source), connectAdmin(target)]);
  if (sourceAdmin.status === 'rejected' || targetAdmin.status === 'rejected') {
    await Promise.allSettled([sourceAdmin, targetAdmin].map((a) => (a.status === 'fulfilled' ? a.value.disconnect() : undefined)));
    throw sourceAdmin.status === 'rejected' ? sourceAdmin.reason : (targetAdmin as PromiseRejectedResult).reason;
  }
  return {
    source,
    target,
    sourceAdmin: sourceAdmin.value,
    targetAdmin: targetAdmin.value,
    async close() {
      await Promise.allSettled([sourceAdmin.value.disconnect(), targetAdmin.value.disconnect()]);
    },
  };
}
