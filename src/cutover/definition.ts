import { ErrorNames } from '../errors';

/**
 * Builds `infra/cutover.asl.json`, the one cutover definition AWS runs and `kbridge cutover` runs locally
 * (a unit test checks the committed file equals this output; regenerate with
 * `npx tsx -e "import('./src/cutover/definition.ts').then(m => m.writeCutoverDefinition())"`).
 *
 * Task resources are `{"Fn::GetAtt": ["Cutover<Step>LambdaFunction", "Arn"]}` (asl-validator accepts intrinsic
 * objects; serverless-step-functions resolves them when packaging), for the function keys `cutover<Step>`
 * (folder `functions/cutover-<kebab-step>`). The local runner never calls them: it maps each Task by
 * its `Parameters.step` to the core step.
 */

/** `{"Fn::GetAtt": ["CutoverPreflightLambdaFunction", "Arn"]}`: serverless-step-functions turns it into the ARN. */
function lambdaArn(step: string): { 'Fn::GetAtt': [string, string] } {
  const key = functionKeyOf(step);
  return { 'Fn::GetAtt': [`${key.charAt(0).toUpperCase()}${key.slice(1)}LambdaFunction`, 'Arn'] };
}

/** Lambda function key of a step (`waitDrained` → `cutoverWaitDrained`). */
export function functionKeyOf(step: string): string {
  return `cutover${step.charAt(0).toUpperCase()}${step.slice(1)}`;
}

const TRANSIENT = [
  ErrorNames.KafkaConnectionError,
  ErrorNames.AwsServiceError,
  ErrorNames.TransactionError,
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

type State = Record<string, unknown>;

function task(step: string, next: string | undefined, options: { phase?: string; polling?: boolean; timeoutSeconds?: number } = {}): State {
  const retry: State[] = [];
  if (options.polling) retry.push({ ErrorEquals: [ErrorNames.NotReadyError], IntervalSeconds: 10, MaxAttempts: 8640, BackoffRate: 1 });
  if (step === 'translateAndSeedOffsets') retry.push({ ErrorEquals: [ErrorNames.GroupNotEmptyError], IntervalSeconds: 10, MaxAttempts: 6, BackoffRate: 1.5 });
  retry.push({ ErrorEquals: TRANSIENT, IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 2 });
  return {
    Type: 'Task',
    Comment: `core: src/cutover/steps (${step}${options.phase ? `, phase ${options.phase}` : ''})`,
    Resource: lambdaArn(step),
    Parameters: { step, ...(options.phase ? { phase: options.phase } : {}), 'plan.$': '$.plan' },
    ResultPath: `$.results.${step}${options.phase && options.phase !== 'groups' ? `_${options.phase.replace(/-/g, '_')}` : ''}`,
    TimeoutSeconds: options.timeoutSeconds ?? 300,
    Retry: retry,
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Rollback' }],
    ...(next ? { Next: next } : { End: true }),
  };
}

function approval(prefix: string, next: string): Record<string, State> {
  return {
    [`${prefix}ApprovalChoice`]: {
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.approval', StringEquals: 'manual', Next: `${prefix}AwaitApproval` }],
      Default: next,
    },
    [`${prefix}AwaitApproval`]: {
      Type: 'Task',
      Comment: 'Manual approval before the switch: the approval function audits the task token; an operator calls SendTaskSuccess (or SendTaskFailure → rollback).',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: lambdaArn('approval'),
        Payload: { step: 'approval', 'plan.$': '$.plan', 'taskToken.$': '$$.Task.Token' },
      },
      // From preflight's result, not `$.plan`: the execution input is the raw plan, where defaults are absent.
      TimeoutSecondsPath: '$.results.preflight.detail.approvalSeconds',
      ResultPath: '$.results.approval',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Rollback' }],
      Next: next,
    },
  };
}

/**
 * The definition as an object (JSONPath only).
 *
 * @example
 * ```ts
 * const asl = buildCutoverDefinition(); // asl.StartAt === 'Preflight'
 * ```
 */
export function buildCutoverDefinition(): Record<string, unknown> {
  const decommission = task('decommissionReverseBridge', 'Decommissioned', { polling: true });
  const states: Record<string, State> = {
    ActionChoice: {
      Type: 'Choice',
      Comment: 'Input {"plan": …} runs the cutover (a failback plan too: kbridge cutover failback); {"plan": …, "action": "decommission"} disables the reverse bridge (docs/failback.md).',
      Choices: [{ And: [{ Variable: '$.action', IsPresent: true }, { Variable: '$.action', StringEquals: 'decommission' }], Next: 'DecommissionReverseBridge' }],
      Default: 'Preflight',
    },
    // Not a cutover: a failure must not roll the migration back.
    DecommissionReverseBridge: { ...decommission, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'DecommissionFailed' }] },
    Decommissioned: { Type: 'Succeed' },
    DecommissionFailed: { Type: 'Fail', Comment: 'The reverse bridge mapping was not disabled; the audit log has the attempt.', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
    Preflight: task('preflight', 'PatternChoice'),
    PatternChoice: {
      Type: 'Choice',
      Comment: 'stop-drain-switch = the MSK guide / Confluent Stop-Wait-Restart; consumers-first = Stop-Restart-Repeat',
      Choices: [{ Variable: '$.plan.pattern', StringEquals: 'consumers-first', Next: 'CfStopSourceConsumers' }],
      Default: 'FenceProducers',
    },
    // stop-drain-switch
    FenceProducers: task('fenceProducers', 'WaitDrained'),
    WaitDrained: task('waitDrained', 'StopSourceConsumers', { phase: 'groups', polling: true }),
    StopSourceConsumers: task('stopSourceConsumers', 'TranslateAndSeedOffsets', { polling: true }),
    TranslateAndSeedOffsets: task('translateAndSeedOffsets', 'ApprovalChoice'),
    ...approval('', 'SwitchConsumerConfig'),
    SwitchConsumerConfig: task('switchConsumerConfig', 'SwitchProducerConfig'),
    SwitchProducerConfig: task('switchProducerConfig', 'StartTargetConsumers'),
    StartTargetConsumers: task('startTargetConsumers', 'StartTargetProducers', { polling: true }),
    StartTargetProducers: task('startTargetProducers', 'Verify'),
    Verify: task('verify', 'CutoverSucceeded', { polling: true }),
    // consumers-first
    CfStopSourceConsumers: task('stopSourceConsumers', 'CfWaitBridgeAtGroups', { polling: true }),
    CfWaitBridgeAtGroups: task('waitDrained', 'CfTranslateAndSeedOffsets', { phase: 'bridge-to-groups', polling: true }),
    CfTranslateAndSeedOffsets: task('translateAndSeedOffsets', 'CfApprovalChoice'),
    ...approval('Cf', 'CfSwitchConsumerConfig'),
    CfSwitchConsumerConfig: task('switchConsumerConfig', 'CfStartTargetConsumers'),
    CfStartTargetConsumers: task('startTargetConsumers', 'CfFenceProducers', { polling: true }),
    CfFenceProducers: task('fenceProducers', 'CfWaitBridgeDrained'),
    CfWaitBridgeDrained: task('waitDrained', 'CfSwitchProducerConfig', { phase: 'bridge', polling: true }),
    CfSwitchProducerConfig: task('switchProducerConfig', 'CfStartTargetProducers'),
    CfStartTargetProducers: task('startTargetProducers', 'Verify'),
    CutoverSucceeded: { Type: 'Succeed' },
    // rollback
    Rollback: {
      Type: 'Task',
      Comment: 'Returns every audited change to the source (src/cutover/steps/rollback.ts), then fails the execution with the original error.',
      Resource: lambdaArn('rollback'),
      Parameters: { step: 'rollback', 'plan.$': '$.plan', 'error.$': '$.error' },
      ResultPath: '$.rollback',
      TimeoutSeconds: 300,
      Retry: [
        { ErrorEquals: [ErrorNames.NotReadyError], IntervalSeconds: 5, MaxAttempts: 8640, BackoffRate: 1 },
        { ErrorEquals: ['States.ALL'], IntervalSeconds: 5, MaxAttempts: 5, BackoffRate: 2 },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.rollbackError', Next: 'RollbackFailed' }],
      Next: 'CutoverRolledBack',
    },
    CutoverRolledBack: { Type: 'Fail', Comment: 'Rolled back: everything is on the source again.', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
    RollbackFailed: {
      Type: 'Fail',
      Comment: 'The rollback itself failed: the audit log lists what was and was not restored.',
      Error: 'RollbackFailed',
      CausePath: '$.rollbackError.Cause',
    },
  };
  return {
    Comment: 'kafka-msk-bridge cutover: source Kafka → MSK, stop-drain-switch or consumers-first, rollback from every step (issue 7).',
    StartAt: 'ActionChoice',
    TimeoutSeconds: 172_800,
    States: states,
  };
}

/** Write the definition to `infra/cutover.asl.json` (the committed file). */
export async function writeCutoverDefinition(path = 'infra/cutover.asl.json'): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, `${JSON.stringify(buildCutoverDefinition(), null, 2)}\n`);
}
