/**
 * Typed connection configuration for a Kafka cluster, as the core receives it (already parsed at the edge).
 * Secrets are referenced by Secrets Manager ARN/name in the formats Lambda's Kafka trigger uses:
 * - SASL (SCRAM-256/512, PLAIN): `{"username": "...", "password": "..."}`
 * - mTLS client certificate: `{"certificate": "PEM...", "privateKey": "PEM...", "privateKeyPassword"?: "..."}`
 * - server root CA: `{"certificate": "PEM..."}`
 */

export type SaslMechanism = 'scram-sha-256' | 'scram-sha-512' | 'plain';

export type KafkaAuth =
  | { type: 'none' }
  | { type: 'sasl'; mechanism: SaslMechanism; secretArn: string }
  /** Credentials given inline (local clusters, tests). Never logged. */
  | { type: 'sasl-inline'; mechanism: SaslMechanism; username: string; password: string }
  | { type: 'mtls'; secretArn: string }
  | { type: 'iam'; region?: string };

export interface KafkaTls {
  enabled: boolean;
  /** Secrets Manager ARN of a `{"certificate": "PEM"}` secret holding the server root CA. */
  rootCaSecretArn?: string;
  /** Inline PEM of the root CA (local use). */
  rootCaPem?: string;
  /** Only for local testing against self-signed brokers. */
  rejectUnauthorized?: boolean;
}

export interface KafkaConnectionConfig {
  /** A human name for errors and logs, e.g. "source" or "target". */
  name: string;
  clientId?: string;
  bootstrapServers: string[];
  tls?: KafkaTls;
  auth: KafkaAuth;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** What a client built by `createKafkaClient` connects to, for error messages and logs. */
export interface KafkaConnectionInfo {
  cluster: string;
  mechanism: string;
  bootstrapServers: string[];
  tls: boolean;
}
