import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createAwsSecretReader } from '../../../src/adapters/aws/secrets';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import { SecretError } from '../../../src/errors';
import { uniqueName } from '../../support/helpers';

// The Secrets Manager adapter against moto's real GetSecretValue over HTTP.
const aws = inject('aws');
const awsConfig = resolveAwsClientConfig({ ...process.env, AWS_ENDPOINT_URL: aws.endpoint, AWS_REGION: aws.region });
const secretsManager = new SecretsManagerClient(awsConfig.client);

afterAll(() => {
  secretsManager.destroy();
});

describe('createAwsSecretReader', () => {
  it('reads a secret by name and by ARN', async () => {
    // Prepare
    const name = uniqueName('kbridge-it-read');
    const { ARN } = await secretsManager.send(new CreateSecretCommand({ Name: name, SecretString: '{"username":"u","password":"p"}' }));
    const reader = createAwsSecretReader({ clientConfig: awsConfig });

    // Act
    const byName = await reader.readSecretString(name);
    const byArn = await reader.readSecretString(ARN as string);

    // Assess
    expect(byName).toBe('{"username":"u","password":"p"}');
    expect(byArn).toBe(byName);
  });

  it('serves a rotated secret from cache until the TTL passes', async () => {
    // Prepare
    let clock = 0;
    const name = uniqueName('kbridge-it-rotate');
    await secretsManager.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
    const reader = createAwsSecretReader({ clientConfig: awsConfig, ttlMs: 60_000, now: () => clock });
    const first = await reader.readSecretString(name);
    await secretsManager.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2' }));

    // Act
    const cached = await reader.readSecretString(name);
    clock = 60_001;
    const refreshed = await reader.readSecretString(name);

    // Assess
    expect([first, cached, refreshed]).toEqual(['v1', 'v1', 'v2']);
  });

  it('rejects a binary-only secret: Lambda reads SecretString only', async () => {
    // Prepare
    const name = uniqueName('kbridge-it-binary');
    await secretsManager.send(new CreateSecretCommand({ Name: name, SecretBinary: new Uint8Array([1, 2, 3]) }));
    const reader = createAwsSecretReader({ clientConfig: awsConfig });

    // Act
    const err = await reader.readSecretString(name).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(SecretError);
    expect((err as SecretError).message).toBe(`Secret "${name}" has no SecretString (binary secrets are not supported); expected a JSON SecretString`);
  });
});
