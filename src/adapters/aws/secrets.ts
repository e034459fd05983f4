import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AwsServiceError, SecretError } from '../../errors';
import { withSecretCache, type SecretReader } from '../../kafka/secrets';
import type { AwsClientConfig } from './clientConfig';
import { lazyClient, lazyModule } from './lazy';

// Loaded on the first secret read: a function whose connections need no secret never loads the client.
const secretsManagerSdk = lazyModule(() => import('./sdk/secretsManager'));

export interface AwsSecretReaderOptions {
  /** From `resolveAwsClientConfig(process.env)` at the edge; ignored when `client` is given. */
  clientConfig?: AwsClientConfig;
  client?: SecretsManagerClient;
  /** How long a secret stays cached in this container; default 5 minutes. 0 disables the cache. */
  ttlMs?: number;
  now?: () => number;
}

/** Errors for which asking again cannot help: the secret (or our access to it) must be fixed first. */
const PERMANENT = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'InvalidParameterException',
  'InvalidRequestException',
  'DecryptionFailure',
  'ValidationException',
]);

/**
 * The AWS adapter of the {@link SecretReader} port: `GetSecretValue` through
 * `@aws-sdk/client-secrets-manager`, cached per secret id for `ttlMs` (the life of a Lambda container
 * by default, bounded so a rotated secret is picked up).
 *
 * Missing secret, denied access or an undecryptable one → {@link SecretError} naming the secret (not
 * retriable); throttling, 5xx and network faults → {@link AwsServiceError} (retriable). A binary-only
 * secret → {@link SecretError}: Lambda's Kafka trigger reads `SecretString` only.
 *
 * @example
 * ```ts
 * const secrets = createAwsSecretReader({ clientConfig: resolveAwsClientConfig(process.env) });
 * const kafka = await createKafkaClient(config, { secrets });
 * ```
 */
export function createAwsSecretReader(options: AwsSecretReaderOptions = {}): SecretReader & { clear(): void } {
  const client = lazyClient(async () => new (await secretsManagerSdk()).SecretsManagerClient(options.clientConfig?.client ?? {}), options.client);
  const uncached: SecretReader = {
    async readSecretString(secretId: string): Promise<string> {
      let output;
      try {
        const { GetSecretValueCommand } = await secretsManagerSdk();
        output = await (await client.get()).send(new GetSecretValueCommand({ SecretId: secretId }));
      } catch (err) {
        throw mapSecretsManagerError(err, secretId);
      }
      if (typeof output.SecretString !== 'string') {
        throw new SecretError(`Secret "${secretId}" has no SecretString (binary secrets are not supported); expected a JSON SecretString`, {
          field: 'SecretString',
          secretId,
        });
      }
      return output.SecretString;
    },
  };
  return withSecretCache(uncached, { ttlMs: options.ttlMs ?? 5 * 60_000, ...(options.now ? { now: options.now } : {}) });
}

/**
 * Turn a Secrets Manager SDK error into our taxonomy. Exported for tests; the SDK's messages name
 * the secret id at most, never its value.
 *
 * @example
 * ```ts
 * throw mapSecretsManagerError(err, 'arn:aws:secretsmanager:...:secret:target-scram');
 * ```
 */
export function mapSecretsManagerError(err: unknown, secretId: string): SecretError | AwsServiceError {
  const e = err as { name?: string; message?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? 'Error';
  const status = e?.$metadata?.httpStatusCode;
  if (name === 'ResourceNotFoundException') {
    return new SecretError(`Secret "${secretId}" not found in Secrets Manager (ResourceNotFoundException); check the ARN/name and the region`, {
      field: 'secretArn',
      secretId,
      cause: err,
    });
  }
  if (PERMANENT.has(name)) {
    return new SecretError(`Secret "${secretId}" cannot be read (${name}: ${e.message ?? ''})`, { field: 'secretArn', secretId, cause: err });
  }
  const retriable = e?.$retryable !== undefined || status === undefined || status >= 500 || status === 429 || /Throttl/.test(name);
  return new AwsServiceError(`Secrets Manager GetSecretValue for "${secretId}" failed (${name}: ${e?.message ?? String(err)})`, {
    service: 'secretsmanager',
    secretId,
    retriable,
    cause: err,
  });
}
