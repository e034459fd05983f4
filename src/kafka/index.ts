/** The Kafka connection layer: one factory, secrets in Lambda's formats, errors in our taxonomy. */
export { createKafka, buildKafkaConfig, describeKafka, mechanismLabel, type CreateKafkaDeps, type KafkaConnectionInfo } from './factory';
export { withAdmin, withProducer, createTopicsAndWait } from './clients';
export { toKBridgeError, isKafkaClientError, type KafkaErrorContext } from './errors';
export { parseKafkaConnectionEnv, kafkaEnvNames, KafkaAuthModes, type KafkaAuthMode } from './env';
export { createKafkaLogCreator, createJsonLineLogger, type StructuredLogger, type KafkaLogLevelName } from './logging';
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
