import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { parseConfig } from '../../config/parse';
import { AwsServiceError, ConfigError } from '../../errors';
import { ClientConfigValueSchema, type ClientConfigValue, type ConfigEntryRef } from '../../cutover/plan';
import type { ClientConfigStore } from '../../ports/clientConfigStore';
import type { AwsClientConfig } from './clientConfig';
import { lazyClient, lazyModule } from './lazy';

// Each store's SDK is loaded when an entry of that store is first read or written.
const secretsManagerSdk = lazyModule(() => import('./sdk/secretsManager'));
const ssmSdk = lazyModule(() => import('./sdk/ssm'));

/**
 * Wrap an AWS SDK v3 error: client faults (4xx: not found, access denied, validation) are not retriable,
 * throttles, 5xx and network faults are. Names the operation and resource, never a value.
 *
 * @example
 * ```ts
 * throw awsCallError('ssm', 'GetParameter', '/kafka/orders', err);
 * ```
 */
export function awsCallError(service: string, operation: string, resource: string, err: unknown): AwsServiceError {
  const e = err as { name?: string; message?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
  const throttled = /Throttl|TooManyRequests/.test(e?.name ?? '');
  return new AwsServiceError(`${service} ${operation} on "${resource}" failed (${e?.name ?? 'Error'}: ${e?.message ?? String(err)})`, {
    service,
    operation,
    resource,
    retriable: throttled || e?.$fault !== 'client',
    cause: err,
  });
}

function parseValue(text: string | undefined, ref: ConfigEntryRef): ClientConfigValue {
  let json: unknown;
  try {
    json = JSON.parse(text ?? '');
  } catch {
    // Never echo the text: it may hold credentials.
    throw new ConfigError(`Config entry ${ref.store}:${ref.id} is not a JSON object; expected {"bootstrapServers": "...", ...}`, { field: ref.id });
  }
  return parseConfig(ClientConfigValueSchema, json, `config entry ${ref.store}:${ref.id}`);
}

/**
 * The AWS {@link ClientConfigStore}: `secretsmanager` entries are secrets holding the JSON value (written with
 * PutSecretValue, a new version; the secret must exist), `ssm` entries are parameters (SecureString when
 * created here, overwritten in place otherwise).
 *
 * @example
 * ```ts
 * const store = createAwsConfigStore(resolveAwsClientConfig(process.env));
 * await store.read({ store: 'ssm', id: '/kafka/orders/producer' });
 * ```
 */
export function createAwsConfigStore(
  config: AwsClientConfig,
  clients: { secrets?: SecretsManagerClient; ssm?: SSMClient } = {},
): ClientConfigStore & { close(): void } {
  const secretsClient = lazyClient(async () => new (await secretsManagerSdk()).SecretsManagerClient(config.client), clients.secrets);
  const ssmClient = lazyClient(async () => new (await ssmSdk()).SSMClient(config.client), clients.ssm);
  return {
    close: () => {
      secretsClient.destroy();
      ssmClient.destroy();
    },
    async read(ref) {
      if (ref.store === 'secretsmanager') {
        try {
          const [{ GetSecretValueCommand }, secrets] = await Promise.all([secretsManagerSdk(), secretsClient.get()]);
          const out = await secrets.send(new GetSecretValueCommand({ SecretId: ref.id }));
          return parseValue(out.SecretString, ref);
        } catch (err) {
          if ((err as Error).name === 'ResourceNotFoundException') return undefined;
          if (err instanceof ConfigError) throw err;
          throw awsCallError('secretsmanager', 'GetSecretValue', ref.id, err);
        }
      }
      if (ref.store === 'ssm') {
        try {
          const [{ GetParameterCommand }, ssm] = await Promise.all([ssmSdk(), ssmClient.get()]);
          const out = await ssm.send(new GetParameterCommand({ Name: ref.id, WithDecryption: true }));
          return parseValue(out.Parameter?.Value, ref);
        } catch (err) {
          if ((err as Error).name === 'ParameterNotFound') return undefined;
          if (err instanceof ConfigError) throw err;
          throw awsCallError('ssm', 'GetParameter', ref.id, err);
        }
      }
      throw new ConfigError(`Config entry ${ref.store}:${ref.id} is not an AWS entry; expected store secretsmanager or ssm`, { field: 'store' });
    },
    async write(ref, value) {
      const text = JSON.stringify(value);
      if (ref.store === 'secretsmanager') {
        try {
          const [{ PutSecretValueCommand }, secrets] = await Promise.all([secretsManagerSdk(), secretsClient.get()]);
          await secrets.send(new PutSecretValueCommand({ SecretId: ref.id, SecretString: text }));
          return;
        } catch (err) {
          throw awsCallError('secretsmanager', 'PutSecretValue', ref.id, err);
        }
      }
      if (ref.store === 'ssm') {
        try {
          const [{ PutParameterCommand }, ssm] = await Promise.all([ssmSdk(), ssmClient.get()]);
          await ssm.send(new PutParameterCommand({ Name: ref.id, Value: text, Type: 'SecureString', Overwrite: true }));
          return;
        } catch (err) {
          throw awsCallError('ssm', 'PutParameter', ref.id, err);
        }
      }
      throw new ConfigError(`Config entry ${ref.store}:${ref.id} is not an AWS entry; expected store secretsmanager or ssm`, { field: 'store' });
    },
  };
}
