import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '../errors';
import { createMskIamTokenProvider, type AwsCredentialsProvider } from './iam';
import { createJsonLineLogger, type KafkaLogLevelName, type StructuredLogger } from './logging';
import { parseClientCertificateSecret, parseRootCaSecret, parseSaslSecret, readJsonSecret, type SecretReader } from './secrets';
import type { KafkaAuth, KafkaConnectionConfig, SaslMechanism } from './types';
import { kafkaAdapters, type ResolvedConnection } from './connection';
import type { KafkaClient, KafkaClientKind } from './port';
import { getDefaultKafkaClient } from './select';
export type { KafkaConnectionInfo } from './types';

export interface CreateKafkaDeps {
  /** Needed when the config references secrets (SASL, mTLS, root CA by ARN). */
  secrets?: SecretReader;
  /** Where the client library's logs go; default: JSON lines on stderr. */
  logger?: StructuredLogger;
  /** Client library log level; default `warn` (quiet unless something is wrong). */
  logLevel?: KafkaLogLevelName;
  /** IAM only: credentials to sign with; default the AWS default provider chain. */
  awsCredentials?: AwsCredentialsProvider;
  /** Client-level retries of a failed request (0 fails fast in checks and tests); default the adapter's own. */
  retries?: number;
  /** The adapter; default {@link getDefaultKafkaClient} (`KAFKA_CLIENT`, else the project default). */
  client?: KafkaClientKind;
}


const SASL_LABEL: Record<SaslMechanism, string> = {
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
  plain: 'PLAIN',
};

/** Human label of an auth mode, as used in messages: "SCRAM-SHA-512", "mTLS", "AWS_MSK_IAM", "none". */
export function mechanismLabel(auth: KafkaAuth): string {
  switch (auth.type) {
    case 'none':
      return 'none';
    case 'sasl':
    case 'sasl-inline':
      return SASL_LABEL[auth.mechanism];
    case 'mtls':
      return 'mTLS';
    case 'iam':
      return 'AWS_MSK_IAM';
  }
}

/**
 * Read every referenced secret and check every option of a connection config, into the library-neutral
 * shape an adapter takes. Bad config → {@link ConfigError}; bad or missing secret → {@link SecretError}.
 */
export async function resolveConnection(config: KafkaConnectionConfig, deps: CreateKafkaDeps = {}): Promise<ResolvedConnection> {
  if (config.bootstrapServers.length === 0) {
    throw new ConfigError(`Kafka cluster "${config.name}": bootstrapServers is empty; expected at least one "host:port"`, {
      field: 'bootstrapServers',
      cluster: config.name,
    });
  }
  const tls = await buildTls(config, deps);
  const sasl = await buildSasl(config, deps);
  const resolved: ResolvedConnection = {
    info: {
      cluster: config.name,
      mechanism: mechanismLabel(config.auth),
      bootstrapServers: [...config.bootstrapServers],
      tls: tls !== undefined,
    },
    clientId: config.clientId ?? `kbridge-${config.name}`,
    bootstrapServers: [...config.bootstrapServers],
    logger: deps.logger ?? createJsonLineLogger({ component: 'kafka' }),
    logLevel: deps.logLevel ?? 'warn',
    redact: secretValuesOf(config.auth, sasl, tls),
  };
  if (tls !== undefined) resolved.tls = tls;
  if (sasl !== undefined) resolved.sasl = sasl;
  if (config.connectionTimeoutMs !== undefined) resolved.connectionTimeoutMs = config.connectionTimeoutMs;
  if (config.requestTimeoutMs !== undefined) resolved.requestTimeoutMs = config.requestTimeoutMs;
  if (deps.retries !== undefined) resolved.retries = deps.retries;
  return resolved;
}

/**
 * THE factory for Kafka clients: the port ({@link KafkaClient}) over the adapter `deps.client` names, or the
 * process default (`KAFKA_CLIENT`). Plaintext, TLS (custom root CA), SASL/SCRAM-256/512 and PLAIN, mTLS and
 * MSK IAM (SASL/OAUTHBEARER); secrets are read once, here, in Lambda's Kafka-trigger formats.
 *
 * @example
 * ```ts
 * const kafka = await createKafkaClient(parseKafkaConnectionEnv('TARGET', process.env), { secrets: createAwsSecretReader() });
 * const topics = await withKafkaAdmin(kafka, (admin) => admin.listTopics());
 * ```
 */
export async function createKafkaClient(config: KafkaConnectionConfig, deps: CreateKafkaDeps = {}): Promise<KafkaClient> {
  const connection = await resolveConnection(config, deps);
  const adapter = await kafkaAdapters[deps.client ?? getDefaultKafkaClient()]();
  return adapter(connection);
}

async function buildTls(config: KafkaConnectionConfig, deps: CreateKafkaDeps): Promise<true | ConnectionOptions | undefined> {
  const { auth, name } = config;
  const tls = config.tls;
  // MSK's mTLS and IAM listeners are TLS-only; an explicit "no TLS" with them is a contradiction, not a choice.
  const requiresTls = auth.type === 'mtls' || auth.type === 'iam';
  if (requiresTls && tls?.enabled === false) {
    throw new ConfigError(`Kafka cluster "${name}": auth "${auth.type}" needs TLS, but tls.enabled is false`, { field: 'tls.enabled', cluster: name });
  }
  const hasCa = tls?.rootCaSecretArn !== undefined || tls?.rootCaPem !== undefined;
  if (hasCa && tls?.enabled === false) {
    throw new ConfigError(`Kafka cluster "${name}": a root CA is configured but tls.enabled is false`, { field: 'tls.enabled', cluster: name });
  }
  if (tls?.rootCaSecretArn !== undefined && tls.rootCaPem !== undefined) {
    throw new ConfigError(`Kafka cluster "${name}": give the root CA either as rootCaSecretArn or as rootCaPem, not both`, {
      field: 'tls.rootCaSecretArn',
      cluster: name,
    });
  }
  if (!(tls?.enabled || requiresTls || hasCa)) return undefined;

  const options: ConnectionOptions = {};
  if (tls?.rootCaSecretArn !== undefined) {
    const secrets = requireSecrets(deps, name, 'tls.rootCaSecretArn');
    options.ca = [parseRootCaSecret(await readJsonSecret(secrets, tls.rootCaSecretArn, 'server root CA'), tls.rootCaSecretArn).certificate];
  } else if (tls?.rootCaPem !== undefined) {
    options.ca = [parseRootCaSecret({ certificate: tls.rootCaPem }, 'tls.rootCaPem').certificate];
  }
  if (auth.type === 'mtls') {
    const secrets = requireSecrets(deps, name, 'auth.secretArn');
    const cert = parseClientCertificateSecret(await readJsonSecret(secrets, auth.secretArn, 'mTLS client certificate'), auth.secretArn);
    options.cert = cert.certificate;
    options.key = cert.privateKey;
    if (cert.privateKeyPassword !== undefined) options.passphrase = cert.privateKeyPassword;
  }
  if (tls?.rejectUnauthorized === false) options.rejectUnauthorized = false;
  return Object.keys(options).length === 0 ? true : options;
}

async function buildSasl(config: KafkaConnectionConfig, deps: CreateKafkaDeps): Promise<ResolvedConnection['sasl']> {
  const { auth, name } = config;
  switch (auth.type) {
    case 'none':
    case 'mtls':
      return undefined;
    case 'sasl-inline':
      return { mechanism: auth.mechanism, username: auth.username, password: auth.password };
    case 'sasl': {
      const secrets = requireSecrets(deps, name, 'auth.secretArn');
      const { username, password } = parseSaslSecret(await readJsonSecret(secrets, auth.secretArn, 'SASL credentials'), auth.secretArn);
      return { mechanism: auth.mechanism, username, password };
    }
    case 'iam': {
      if (!auth.region) {
        throw new ConfigError(`Kafka cluster "${name}": auth "iam" needs a region (the MSK cluster's AWS region)`, { field: 'auth.region', cluster: name });
      }
      return {
        mechanism: 'oauthbearer',
        token: createMskIamTokenProvider({
          region: auth.region,
          cluster: name,
          ...(deps.awsCredentials ? { credentials: deps.awsCredentials } : {}),
        }),
      };
    }
  }
}

function requireSecrets(deps: CreateKafkaDeps, cluster: string, field: string): SecretReader {
  if (!deps.secrets) {
    throw new ConfigError(`Kafka cluster "${cluster}": ${field} references a secret, but no SecretReader was given to createKafkaClient`, {
      field,
      cluster,
    });
  }
  return deps.secrets;
}

function secretValuesOf(auth: KafkaAuth, sasl: ResolvedConnection['sasl'], ssl: true | ConnectionOptions | undefined): string[] {
  const values: string[] = [];
  if (typeof ssl === 'object' && typeof ssl.passphrase === 'string') values.push(ssl.passphrase);
  if (auth.type === 'sasl-inline') values.push(auth.password);
  if (sasl && 'password' in sasl && typeof sasl.password === 'string') values.push(sasl.password);
  return values;
}
