import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createS3AuditLog } from '../../../src/adapters/aws/audit';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import { createAwsConfigStore } from '../../../src/adapters/aws/configStore';
import { uniqueName } from '../../support/helpers';

describe('AWS cutover adapters against moto', () => {
  it('reads and rewrites a Secrets Manager entry and an SSM parameter', async () => {
    // Prepare
    const aws = resolveAwsClientConfig(process.env);
    const secrets = new SecretsManagerClient(aws.client);
    const secretId = uniqueName('kbridge/orders-producer');
    await secrets.send(new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify({ bootstrapServers: 'src:9092', cluster: 'source' }) }));
    const store = createAwsConfigStore(aws);
    const param = `/${uniqueName('kbridge')}/consumer`;

    // Act
    const before = await store.read({ store: 'secretsmanager', id: secretId });
    await store.write({ store: 'secretsmanager', id: secretId }, { bootstrapServers: 'msk:9096', cluster: 'target', paused: true });
    const missing = await store.read({ store: 'ssm', id: param });
    await store.write({ store: 'ssm', id: param }, { bootstrapServers: 'msk:9096' });

    // Assess
    expect(before).toEqual({ bootstrapServers: 'src:9092', cluster: 'source' });
    expect(await store.read({ store: 'secretsmanager', id: secretId })).toEqual({ bootstrapServers: 'msk:9096', cluster: 'target', paused: true });
    expect(missing).toBeUndefined();
    expect(await store.read({ store: 'ssm', id: param })).toEqual({ bootstrapServers: 'msk:9096' });
    store.close();
    secrets.destroy();
  });

  it('appends audit records to S3 and lists them in order', async () => {
    // Prepare
    const aws = resolveAwsClientConfig(process.env);
    const s3 = new S3Client(aws.s3);
    const bucket = uniqueName('kbridge-audit').toLowerCase();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const audit = createS3AuditLog(aws, { bucket });
    const id = uniqueName('cut');

    // Act
    for (const step of ['preflight', 'fenceProducers', 'waitDrained']) {
      await audit.append({ cutoverId: id, step, event: 'done', at: new Date().toISOString() });
    }
    const listed = await audit.list(id);

    // Assess
    expect(listed.map((r) => r.step)).toEqual(['preflight', 'fenceProducers', 'waitDrained']);
    audit.close();
    s3.destroy();
  });
});
