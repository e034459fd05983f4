import { KafkaAuthError } from '../errors';

/** AWS credentials as the SDK's credential providers return them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

/** What an OAUTHBEARER token provider answers (the token a client library sends). */
export interface OauthBearerToken {
  value: string;
}

/**
 * An OAUTHBEARER token provider that authenticates to Amazon MSK with IAM (the broker side of
 * `AWS_MSK_IAM` over SASL/OAUTHBEARER), signing with AWS's own `aws-msk-iam-sasl-signer-js`: the token
 * is a SigV4-presigned `kafka-cluster:Connect` URL for `kafka.<region>.amazonaws.com`, base64url-encoded.
 * Without `credentials` the default provider chain (the Lambda execution role) is used.
 * The signer is loaded on first use so non-IAM connections never pay for it. `resolveConnection` puts it in
 * `ResolvedConnection.sasl.token`; each adapter asks it at every authentication.
 *
 * @example
 * ```ts
 * const token = createMskIamTokenProvider({ region: 'eu-west-1', cluster: 'target' });
 * const { value } = await token();
 * ```
 */
export function createMskIamTokenProvider({
  region,
  cluster = 'msk',
  credentials,
}: {
  region: string;
  cluster?: string;
  credentials?: AwsCredentialsProvider;
}): () => Promise<OauthBearerToken> {
  return async () => {
    const signer = await import('aws-msk-iam-sasl-signer-js');
    try {
      const { token } = credentials
        ? await signer.generateAuthTokenFromCredentialsProvider({ region, awsCredentialsProvider: credentials })
        : await signer.generateAuthToken({ region });
      return { value: token };
    } catch (err) {
      throw new KafkaAuthError(`Kafka cluster "${cluster}": cannot sign an AWS_MSK_IAM token in ${region} (${(err as Error).message})`, {
        cluster,
        mechanism: 'AWS_MSK_IAM',
        cause: err,
      });
    }
  };
}
