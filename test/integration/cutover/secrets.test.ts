import { readFileSync } from 'node:fs';
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import { createCliSecretReader } from '../../../src/cli/connectionOptions';
import { buildAwsCutoverDeps, buildLocalCutoverDeps } from '../../../src/cutover/awsDeps';
import { connectionOf, parsePlan } from '../../../src/cutover/plan';
import { withKafkaAdmin, type KafkaClient } from '../../../src/kafka';
import { uniqueName } from '../../support/helpers';

// A cutover plan whose clusters use SASL/SCRAM with Lambda-format secrets in Secrets Manager (moto): both the
// Lambda tasks' dependencies and the local CLI's must read the secrets and authenticate.
const clusters = inject('clusters');
const aws = resolveAwsClientConfig(process.env);
const sm = new SecretsManagerClient(aws.client);
const created: string[] = [];

afterAll(async () => {
  for (const id of created) await sm.send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true })).catch(() => undefined);
  sm.destroy();
});

async function scramPlan() {
  const example = JSON.parse(readFileSync('examples/cutover-plan.json', 'utf8')) as Record<string, unknown>;
  const side = async (name: 'source' | 'target') => {
    const c = clusters[name].saslScram512;
    const secret = await sm.send(new CreateSecretCommand({ Name: uniqueName(`AmazonMSK_kbridge-${name}`), SecretString: JSON.stringify({ username: c.username, password: c.password }) }));
    created.push(secret.ARN!);
    return { name, bootstrapServers: c.bootstrapServers, auth: { type: 'sasl', mechanism: 'scram-sha-512', secretArn: secret.ARN } };
  };
  return parsePlan({ ...example, source: await side('source'), target: await side('target') }, 'test plan');
}

async function listBoth(kafka: { source: KafkaClient; target: KafkaClient }): Promise<string[][]> {
  return Promise.all([kafka.source, kafka.target].map((k) => withKafkaAdmin(k, (admin) => admin.listTopics())));
}

describe('cutover clusters with SCRAM secrets', () => {
  it('the Lambda tasks read the plan\'s secrets with their own role and connect to both clusters', async () => {
    // Prepare
    const plan = await scramPlan();

    // Act
    const { deps, close } = await buildAwsCutoverDeps(plan, { CUTOVER_AUDIT_BUCKET: 'unused-bucket', CUTOVER_AUDIT_PREFIX: 'cutovers/' }, aws, { logLevel: 'error' });
    try {
      const [sourceTopics, targetTopics] = await listBoth(deps.kafka);

      // Assess
      expect(Array.isArray(sourceTopics)).toBe(true);
      expect(Array.isArray(targetTopics)).toBe(true);
    } finally {
      close();
    }
  });

  it('the local CLI builds a secret reader from the AWS settings for such a plan', async () => {
    // Prepare
    const plan = await scramPlan();
    const secrets = await createCliSecretReader([connectionOf(plan, 'source'), connectionOf(plan, 'target')], process.env);

    // Act
    const deps = await buildLocalCutoverDeps(plan, { configStorePath: '/dev/null', auditPath: '/dev/null', dryRun: true, kafkaDeps: { logLevel: 'error', ...(secrets ? { secrets } : {}) } });
    const [sourceTopics] = await listBoth(deps.kafka);

    // Assess
    expect(secrets).toBeDefined();
    expect(Array.isArray(sourceTopics)).toBe(true);
  });
});
