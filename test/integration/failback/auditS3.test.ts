import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createS3AuditLog } from '../../../src/adapters/aws/audit';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import type { CutoverPlanInput } from '../../../src/cutover/plan';
import type { AuditRecord } from '../../../src/ports/auditLog';
import { runKbridge } from '../../support/cli';
import { uniqueName } from '../../support/helpers';

// A cutover run by the deployed state machine keeps its audit in S3 (CUTOVER_AUDIT_BUCKET), not in a local file:
// `kbridge cutover failback --audit-bucket` builds the reversed plan (the Step Functions input) from it. Real moto S3.

const forwardPlan = (cutoverId: string): CutoverPlanInput => ({
  cutoverId,
  pattern: 'stop-drain-switch',
  source: { name: 'onprem', bootstrapServers: '127.0.0.1:19092' },
  target: { name: 'msk', bootstrapServers: '127.0.0.1:29092' },
  bridge: { bridgeId: 'orders', topicMapping: { orders: 'dr.orders' } },
  reverseBridge: { bridgeId: 'orders-reverse', triggers: [{ id: 'reverse-0' }] },
  topics: ['orders'],
  consumerGroups: [{ groupId: 'billing', sourceTriggers: [{ id: 'billing-0' }], targetTriggers: [{ create: { functionName: 'billing', topic: 'dr.orders' } }] }],
  // No sourceValue: where the producers go back to is only in the forward run's audit.
  configEntries: [{ name: 'orders producer', role: 'producer', store: 'ssm', id: '/orders/kafka', targetValue: { bootstrapServers: 'msk:9092' } }],
});

// What the forward run's switch and start steps recorded (as src/cutover/steps write them).
const forwardAudit = (cutoverId: string): AuditRecord[] => [
  { cutoverId, step: 'switchProducerConfig', event: 'change', at: '2026-12-06T10:00:00.000Z', change: { kind: 'config', target: 'ssm:/orders/kafka', from: { bootstrapServers: 'onprem:9092', paused: true, clientId: 'orders-api' }, to: { bootstrapServers: 'msk:9092' } } },
  { cutoverId, step: 'startTargetConsumers', event: 'change', at: '2026-12-06T10:00:01.000Z', change: { kind: 'trigger-created', target: 'uuid-1', from: { key: 'billing:billing:dr.orders' }, to: 'uuid-1' } },
];

describe('kbridge cutover failback --audit-bucket (the deployed cutover\'s audit in S3)', () => {
  it('builds the Step Functions input from the audit the state machine wrote, and says when there is none', async () => {
    // Prepare
    const aws = resolveAwsClientConfig(process.env);
    const bucket = uniqueName('audit').toLowerCase();
    await new S3Client(aws.s3).send(new CreateBucketCommand({ Bucket: bucket }));
    const cutoverId = uniqueName('orders');
    const audit = createS3AuditLog(aws, { bucket, prefix: 'kbridge/' });
    for (const r of forwardAudit(cutoverId)) await audit.append(r);
    audit.close();
    const dir = await mkdtemp(join(tmpdir(), 'kbridge-failback-s3-'));
    const planFile = join(dir, 'plan.json');
    await writeFile(planFile, JSON.stringify(forwardPlan(cutoverId)));

    // Act
    const printed = await runKbridge(['cutover', 'failback', '--plan', planFile, '--audit-bucket', bucket, '--audit-prefix', 'kbridge/', '--print-input']);
    const wrongPrefix = await runKbridge(['cutover', 'failback', '--plan', planFile, '--audit-bucket', bucket, '--print-input']);

    // Assess
    expect(printed.code, printed.stderr).toBe(0);
    const { plan } = JSON.parse(printed.stdout) as { plan: CutoverPlanInput };
    expect(plan.cutoverId).toBe(`${cutoverId}-failback`);
    expect(plan.configEntries?.map((e) => e.targetValue)).toEqual([{ bootstrapServers: 'onprem:9092', clientId: 'orders-api' }]);
    expect(plan.consumerGroups).toEqual([{ groupId: 'billing', sourceTriggers: [{ id: 'uuid-1' }], targetTriggers: [{ id: 'billing-0' }] }]);
    expect(wrongPrefix.code).toBe(2);
    expect(wrongPrefix.stderr).toContain(`warning: no audit records of cutover ${cutoverId} in s3://${bucket}/cutovers/${cutoverId}/`);
    expect(wrongPrefix.stderr).toContain('No source value for config entry orders producer (ssm:/orders/kafka)');
  });
});
