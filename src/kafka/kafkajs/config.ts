import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { ResolvedConnection } from '../connection';
import { createKafkaLogCreator, toKafkaLogLevel } from './logging';

/**
 * The kafkajs client options for a resolved connection: TLS (custom CA, client certificate), SASL
 * (SCRAM, PLAIN, OAUTHBEARER with the MSK IAM token provider), timeouts, the retry count, and kafkajs logs
 * routed to the connection's logger with every secret value scrubbed.
 *
 * @example
 * ```ts
 * const kafka = new Kafka(toKafkajsConfig(await resolveConnection(config, { secrets })));
 * ```
 */
export function toKafkajsConfig(connection: ResolvedConnection): KafkaConfig {
  const options: KafkaConfig = {
    clientId: connection.clientId,
    brokers: [...connection.bootstrapServers],
    logLevel: toKafkaLogLevel(connection.logLevel),
    logCreator: createKafkaLogCreator(connection.logger, { cluster: connection.info.cluster, redact: connection.redact }),
  };
  if (connection.tls !== undefined) options.ssl = connection.tls;
  const { sasl } = connection;
  if (sasl !== undefined) {
    options.sasl =
      sasl.mechanism === 'oauthbearer'
        ? { mechanism: 'oauthbearer', oauthBearerProvider: sasl.token }
        : ({ mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions);
  }
  if (connection.connectionTimeoutMs !== undefined) options.connectionTimeout = connection.connectionTimeoutMs;
  if (connection.requestTimeoutMs !== undefined) options.requestTimeout = connection.requestTimeoutMs;
  if (connection.retries !== undefined) options.retry = { retries: connection.retries };
  return options;
}
