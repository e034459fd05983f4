import { readFile } from 'node:fs/promises';
// @ts-expect-error asl-validator ships no type declarations
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { createLambdaTriggerControl } from '../../../src/adapters/aws/triggerControl';
import { fromJsonSafe, toJsonSafe } from '../../../src/cutover/context';
import { buildCutoverDefinition } from '../../../src/cutover/definition';
import { assertNoInlineSecret } from '../../../src/cutover/fence';
import { parsePlan } from '../../../src/cutover/plan';
import { cutoverSteps } from '../../../src/cutover/steps';
import { newestWindow } from '../../../src/cutover/steps/waitDrained';
import { ErrorNames } from '../../../src/errors';

const committed = JSON.parse(await readFile(new URL('../../../infra/cutover.asl.json', import.meta.url), 'utf8')) as {
  States: Record<string, { Type: string; Parameters?: { step?: string; Payload?: { step?: string } }; Catch?: Array<{ Next: string; ErrorEquals: string[] }>; Retry?: Array<{ ErrorEquals: string[] }> }>;
};
const plan = JSON.parse(await readFile(new URL('../../../examples/cutover-plan.json', import.meta.url), 'utf8')) as unknown;

describe('cutover definition', () => {
  it('passes asl-validator with the ARN check on', () => {
    // Act
    const { isValid, errors } = aslValidator(structuredClone(committed) as never);

    // Assess
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('is the committed file exactly as the generator builds it', () => {
    expect(committed).toEqual(buildCutoverDefinition());
  });

  it('routes every Task to a known step and catches every failure into Rollback', () => {
    // Prepare
    const tasks = Object.entries(committed.States).filter(([, s]) => s.Type === 'Task');

    // Assess
    for (const [name, state] of tasks) {
      const step = state.Parameters?.step ?? state.Parameters?.Payload?.step;
      expect(step === 'approval' || (step !== undefined && step in cutoverSteps), name).toBe(true);
      const catchTo = state.Catch?.[0]?.Next;
      expect(catchTo, name).toBe(name === 'Rollback' ? 'RollbackFailed' : name === 'DecommissionReverseBridge' ? 'DecommissionFailed' : 'Rollback');
      for (const r of state.Retry ?? []) for (const e of r.ErrorEquals) if (!e.startsWith('States.') && !e.startsWith('Lambda.')) expect(Object.values(ErrorNames)).toContain(e);
    }
    expect(tasks.length).toBeGreaterThanOrEqual(20);
  });
});

describe('cutover helpers', () => {
  it('round-trips bigint offsets through JSON', () => {
    // Prepare
    const value = { offset: 12345678901234567890n, list: [1n, null, 'x'], nested: { lag: 0n } };

    // Act
    const back = fromJsonSafe(JSON.parse(JSON.stringify(toJsonSafe(value))));

    // Assess
    expect(back).toEqual(value);
  });

  it('picks the newest samples that reach the count and the window', () => {
    // Prepare
    const samples = [0, 1000, 2000, 3000, 4000].map((atMs) => ({ atMs, groups: [] }));

    // Act
    const window = newestWindow(samples, 2, 2500);

    // Assess
    expect(window.map((s) => s.atMs)).toEqual([1000, 2000, 3000, 4000]);
  });

  it('refuses config entries with inline credentials, naming the field', () => {
    expect(() => assertNoInlineSecret({ bootstrapServers: 'b:1', auth: { password: 'x' } }, { name: 'orders' })).toThrow(/auth\.password/);
    expect(() => assertNoInlineSecret({ bootstrapServers: 'b:1', auth: { secretArn: 'arn:aws:secretsmanager:x' } }, { name: 'orders' })).not.toThrow();
  });

  it('parses the example plan and names an unknown key', () => {
    // Act
    const parsed = parsePlan(plan, 'examples/cutover-plan.json');

    // Assess
    expect(parsed.timeouts.drainSeconds).toBeGreaterThan(0);
    expect(() => parsePlan({ ...(plan as object), pattren: 'x' }, 'plan')).toThrow(/pattren/);
  });
});

describe('AWS trigger control request shapes (moto has no Kafka event source mappings: stubbed client)', () => {
  it('disables with Enabled=false and creates a self-managed mapping with the consumer group id', async () => {
    // Prepare
    const sent: Array<{ name: string; input: unknown }> = [];
    const client = {
      send: async (command: never) => {
        const c = command as { constructor: { name: string }; input: unknown };
        sent.push({ name: c.constructor.name, input: c.input });
        return { UUID: 'u-1', State: c.constructor.name.startsWith('Update') ? 'Disabling' : 'Creating' };
      },
    };
    const triggers = createLambdaTriggerControl({ client: { region: 'us-east-1' }, s3: { region: 'us-east-1' } }, client);

    // Act
    const disabled = await triggers.disable({ id: 'u-1' });
    await triggers.create({ functionName: 'orders-consumer', topic: 'orders', bootstrapServers: 'b-1:9096,b-2:9096' }, 'orders-group');

    // Assess
    expect(disabled.state).toBe('Disabling');
    expect(sent[0]).toEqual({ name: 'UpdateEventSourceMappingCommand', input: { UUID: 'u-1', Enabled: false } });
    expect(sent[1]?.input).toMatchObject({
      FunctionName: 'orders-consumer',
      Topics: ['orders'],
      Enabled: true,
      SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ['b-1:9096', 'b-2:9096'] } },
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: 'orders-group' },
    });
  });
});
