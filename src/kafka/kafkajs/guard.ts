import type { KafkaConnectionInfo } from '../types';
import { toKafkajsKBridgeError } from './errors';

/** Run a kafkajs call, letting only KBridgeErrors out: kafkajs errors are mapped with where they happened. */
export type Guard = <T>(operation: string, fn: () => Promise<T>) => Promise<T>;

/**
 * The {@link Guard} of one connection: a kafkajs error becomes a KBridgeError whose context names the cluster,
 * the mechanism, the operation and the Kafka error type; KBridgeErrors pass through. Wrap only library calls:
 * a caller's callback (onBatch, onRecord) runs outside, so its errors keep their identity.
 *
 * @example
 * ```ts
 * const guard = createGuard(connection.info);
 * await guard('list topics', () => admin.listTopics());
 * ```
 */
export function createGuard(info: KafkaConnectionInfo): Guard {
  return async (operation, fn) => {
    try {
      return await fn();
    } catch (err) {
      throw toKafkajsKBridgeError(err, { cluster: info.cluster, mechanism: info.mechanism, operation });
    }
  };
}
