/** The Kafka connection layer: one factory, secrets in Lambda's formats, errors in our taxonomy. */
export { mechanismLabel, type CreateKafkaDeps, type KafkaConnectionInfo } from './factory';
export type { KafkaErrorContext } from './errors';
export { parseKafkaConnectionEnv, kafkaEnvNames, KafkaAuthModes, type KafkaAuthMode } from './env';
export { createJsonLineLogger, createLogScrubber, type StructuredLogger, type KafkaLogLevelName } from './logging';
export { createMskIamTokenProvider, type AwsCredentialsProvider } from './iam';
export {
  createStaticSecretReader,
  withSecretCache,
  readJsonSecret,
  parseSaslSecret,
  parseRootCaSecret,
  parseClientCertificateSecret,
  type SecretReader,
  type SaslSecret,
  type ClientCertificateSecret,
  type RootCaSecret,
} from './secrets';
export type * from './types';
// The port.
export { createKafkaClient, resolveConnection } from './factory';
export { withKafkaAdmin, withKafkaProducer } from './clients';
export { parseKafkaClientEnv, setDefaultKafkaClient, getDefaultKafkaClient, DEFAULT_KAFKA_CLIENT } from './select';
export { KafkaClientKinds } from './port';
export type * from './port';
