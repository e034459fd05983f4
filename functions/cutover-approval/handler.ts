import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createS3AuditLog } from '../../src/adapters/aws/audit';
import { resolveAwsClientConfig } from '../../src/adapters/aws/clientConfig';
import { parseCutoverLambdaEnv } from '../../src/cutover/awsDeps';
import { parsePlan } from '../../src/cutover/plan';

// Parsed once at module start: a missing CUTOVER_AUDIT_BUCKET fails the init with a ConfigError naming it.
const env = parseCutoverLambdaEnv(process.env);
const aws = resolveAwsClientConfig(process.env);
const logger = new Logger({ serviceName: 'kbridge-cutover' });

/**
 * Bare handler: invoked by the `AwaitApproval` state (`lambda:invoke.waitForTaskToken`). Audits that approval is
 * pending, with the task token an operator passes to `aws stepfunctions send-task-success` (or
 * `send-task-failure` to roll back). The execution waits up to `plan.timeouts.approvalSeconds`.
 */
export async function approval(event: { plan: unknown; taskToken: string }): Promise<{ pending: true }> {
  const plan = parsePlan(event.plan, 'state input $.plan');
  const audit = createS3AuditLog(aws, { bucket: env.CUTOVER_AUDIT_BUCKET, prefix: env.CUTOVER_AUDIT_PREFIX });
  try {
    await audit.append({ cutoverId: plan.cutoverId, step: 'approval', event: 'probe', at: new Date().toISOString(), detail: { pending: true, taskToken: event.taskToken } });
  } finally {
    audit.close();
  }
  logger.info('cutover waits for manual approval', { cutoverId: plan.cutoverId });
  return { pending: true };
}

/** Deployed handler. */
export const handler = middy(approval).use(injectLambdaContext(logger));
