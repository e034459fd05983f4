import { describe, expect, it } from 'vitest';
import { mapSecretsManagerError } from '../../../src/adapters/aws/secrets';
import { AwsServiceError, SecretError } from '../../../src/errors';

// Shapes of SDK v3 service exceptions (name, $metadata, $retryable); moto cannot be made to throttle.
function sdkError(name: string, httpStatusCode: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode }, ...extra });
}

describe('mapSecretsManagerError', () => {
  it('maps a missing secret to a non-retriable SecretError naming it', () => {
    // Act
    const err = mapSecretsManagerError(sdkError('ResourceNotFoundException', 400), 'arn:aws:secretsmanager:eu-west-1:1:secret:x');

    // Assess
    expect(err).toBeInstanceOf(SecretError);
    expect(err.retriable).toBe(false);
    expect(err.message).toBe(
      'Secret "arn:aws:secretsmanager:eu-west-1:1:secret:x" not found in Secrets Manager (ResourceNotFoundException); check the ARN/name and the region',
    );
  });

  it('maps denied access and decryption failures to SecretError', () => {
    // Act
    const denied = mapSecretsManagerError(sdkError('AccessDeniedException', 400), 's');
    const kms = mapSecretsManagerError(sdkError('DecryptionFailure', 400), 's');

    // Assess
    expect(denied).toBeInstanceOf(SecretError);
    expect(denied.message).toContain('cannot be read (AccessDeniedException');
    expect(kms).toBeInstanceOf(SecretError);
  });

  it('maps throttling, 5xx and network faults to a retriable AwsServiceError', () => {
    // Act
    const throttled = mapSecretsManagerError(sdkError('ThrottlingException', 400, { $retryable: { throttling: true } }), 's');
    const internal = mapSecretsManagerError(sdkError('InternalServiceError', 500), 's');
    const network = mapSecretsManagerError(Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error' }), 's');

    // Assess
    for (const err of [throttled, internal, network]) {
      expect(err).toBeInstanceOf(AwsServiceError);
      expect(err.retriable).toBe(true);
    }
  });
});
