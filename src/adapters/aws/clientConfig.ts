/**
 * Settings shared by every AWS SDK v3 client the project creates. Resolved once at the edge (handler
 * module start, CLI start) from the environment and passed down; the core never reads `process.env`.
 *
 * The SDK itself honours `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`), region and credentials
 * from the environment; we pass the endpoint explicitly too so a caller can point one client elsewhere,
 * and force path-style S3 addressing whenever a custom endpoint is set (moto, LocalStack, MinIO), because
 * virtual-host buckets need DNS that a local endpoint does not have. For the same kind of endpoint, CloudWatch
 * request compression is switched off: the SDK gzips PutMetricData bodies over 10 KiB, which AWS accepts but
 * moto answers with a 500 HTML page (a lag monitor with a few dozen groups crosses 10 KiB). The SDK's own
 * `AWS_DISABLE_REQUEST_COMPRESSION` still decides when it is set.
 *
 * @example
 * ```ts
 * const aws = resolveAwsClientConfig(process.env);
 * const sqs = new SQSClient(aws.client);
 * const s3 = new S3Client(aws.s3);
 * const cloudWatch = new CloudWatchClient(aws.cloudWatch);
 * ```
 */
export interface AwsClientConfig {
  /** Spread into any `new XClient(...)`. */
  client: { region: string; endpoint?: string };
  /** Spread into `new S3Client(...)`. */
  s3: { region: string; endpoint?: string; forcePathStyle?: boolean };
  /** Spread into `new CloudWatchClient(...)` (set by {@link resolveAwsClientConfig}; else use `client`). */
  cloudWatch?: { region: string; endpoint?: string; disableRequestCompression?: boolean };
}

export function resolveAwsClientConfig(env: Record<string, string | undefined>): AwsClientConfig {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const endpoint = env.AWS_ENDPOINT_URL && env.AWS_ENDPOINT_URL.trim() !== '' ? env.AWS_ENDPOINT_URL.trim() : undefined;
  const client = endpoint ? { region, endpoint } : { region };
  const compressionSetByEnv = (env.AWS_DISABLE_REQUEST_COMPRESSION ?? '').trim() !== '';
  return {
    client,
    s3: endpoint ? { ...client, forcePathStyle: true } : { ...client },
    cloudWatch: endpoint && !compressionSetByEnv ? { ...client, disableRequestCompression: true } : { ...client },
  };
}
