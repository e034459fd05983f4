import type { ConnectionOptions } from 'node:tls';
import type { KafkaLogLevelName, StructuredLogger } from './logging';
import type { KafkaClient, KafkaClientKind } from './port';
import type { KafkaConnectionInfo, SaslMechanism } from './types';

/**
 * A connection with every secret already read and every option checked, in no library's shape: what
 * `createKafkaClient` hands to an adapter. Secret values live only here and in the adapter's client; they are
 * listed in `redact` so an adapter can scrub them from any log line.
 */
export interface ResolvedConnection {
  info: KafkaConnectionInfo;
  clientId: string;
  bootstrapServers: string[];
  /** Undefined: plaintext. `true`: TLS with Node's default trust store. An object: TLS with these options (CA, client cert). */
  tls?: true | ConnectionOptions;
  sasl?:
    | { mechanism: SaslMechanism; username: string; password: string }
    /** MSK IAM: SASL/OAUTHBEARER with a token from the provider (re-asked on every authentication). */
    | { mechanism: 'oauthbearer'; token: () => Promise<{ value: string }> };
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Client-level retries of a failed request; default: the adapter's own (a few, with backoff). 0 fails fast. */
  retries?: number;
  logger: StructuredLogger;
  logLevel: KafkaLogLevelName;
  /** Secret values to scrub from every log line and error message. */
  redact: string[];
}

/** An adapter module's one export: a {@link KafkaClient} for a resolved connection. */
export type KafkaAdapter = (connection: ResolvedConnection) => KafkaClient;

/**
 * The adapters, loaded on first use: a Lambda bundle that runs one client never evaluates the other's modules.
 */
export const kafkaAdapters: Record<KafkaClientKind, () => Promise<KafkaAdapter>> = {
  kafkajs: async () => (await import('./kafkajs/client')).createKafkajsClient,
  platformatic: async () => (await import('./platformatic/client')).createPlatformaticClient,
};
