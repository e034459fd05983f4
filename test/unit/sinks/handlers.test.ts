import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/errors';

// The deployed modules parse their environment at import time; each import gets a fresh module registry.
const modules = {
  sqs: { path: '../../../functions/sink-sqs/handler', bare: 'sinkSqs', env: { QUEUE_URL: 'http://localhost:4566/000000000000/q' } },
  sns: { path: '../../../functions/sink-sns/handler', bare: 'sinkSns', env: { TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:t' } },
  eventbridge: { path: '../../../functions/sink-eventbridge/handler', bare: 'sinkEventBridge', env: {} },
  kinesis: { path: '../../../functions/sink-kinesis/handler', bare: 'sinkKinesis', env: { STREAM_NAME: 's' } },
  s3: { path: '../../../functions/sink-s3/handler', bare: 'sinkS3', env: { BUCKET: 'b' } },
  dynamodb: { path: '../../../functions/sink-dynamodb/handler', bare: 'sinkDynamoDb', env: { TABLE_NAME: 't' } },
} as const;

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

// The first import transforms the AWS SDK, Powertools and middy: seconds on a busy 2-core machine.
describe('functions/sink-*/handler', { timeout: 30_000 }, () => {
  it.each(Object.entries(modules))('%s exports the bare function and the middy-wrapped handler', async (_kind, m) => {
    // Prepare
    for (const [k, v] of Object.entries(m.env)) vi.stubEnv(k, v);
    // Act
    const mod = (await import(m.path)) as Record<string, unknown>;
    // Assess
    expect(typeof mod[m.bare]).toBe('function');
    expect(typeof (mod.handler as { use?: unknown }).use).toBe('function');
  });

  it('fails at module start with a ConfigError naming the missing variable', async () => {
    vi.stubEnv('QUEUE_URL', '');
    // By name: the module under test loads its own copy of src/errors.ts after resetModules.
    await expect(import(modules.sqs.path)).rejects.toMatchObject({ name: ConfigError.name, message: expect.stringMatching(/QUEUE_URL is missing/) });
  });
});
