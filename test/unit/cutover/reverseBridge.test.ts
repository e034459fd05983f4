import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMemoryAuditLog } from '../../../src/adapters/local/audit';
import type { CutoverDeps } from '../../../src/cutover/context';
import { bridgeGroupsOnMsk, buildFailbackPlan, decommissionReverseBridge } from '../../../src/cutover/failback';
import { parsePlan, type CutoverPlanInput, type TriggerRef } from '../../../src/cutover/plan';
import { rollback } from '../../../src/cutover/steps/rollback';
import { switchProducerConfig } from '../../../src/cutover/steps/switchClientConfig';
import { ConfigError } from '../../../src/errors';
import type { ClientConfigStore } from '../../../src/ports/clientConfigStore';
import type { TriggerControl, TriggerStatus } from '../../../src/ports/triggerControl';

/** A forward plan whose reverse bridge has one mapping per topic (a Kafka trigger reads one topic). */
const forwardPlan: CutoverPlanInput = {
  cutoverId: 'orders-1',
  pattern: 'stop-drain-switch',
  source: { name: 'onprem', bootstrapServers: '127.0.0.1:19092' },
  target: { name: 'msk', bootstrapServers: '127.0.0.1:29092' },
  bridge: { bridgeId: 'orders' },
  reverseBridge: {
    bridgeId: 'orders-reverse',
    triggers: [
      { id: 'reverse-orders', consumerGroupId: 'kafka-msk-bridge-reverse-orders' },
      { id: 'reverse-payments', consumerGroupId: 'kafka-msk-bridge-reverse-payments' },
    ],
  },
  topics: ['orders', 'payments'],
  consumerGroups: [{ groupId: 'billing', sourceTriggers: [{ id: 'billing-0' }], targetTriggers: [{ id: 'billing-msk-0' }] }],
};

/** An in-memory TriggerControl: enable/disable settle at once. */
function memoryTriggers(states: Record<string, string>): TriggerControl {
  const answer = (ref: TriggerRef): TriggerStatus => ({ id: ref.id, state: states[ref.id] ?? 'Unknown' });
  return {
    status: async (ref) => answer(ref),
    enable: async (ref) => ((states[ref.id] = 'Enabled'), answer(ref)),
    disable: async (ref) => ((states[ref.id] = 'Disabled'), answer(ref)),
    create: async () => {
      throw new Error('not supported');
    },
  };
}

/** Steps that touch only the audit and the mappings: no config entries, no Kafka calls. */
function depsOf(input: CutoverPlanInput, states: Record<string, string>): CutoverDeps & { audit: ReturnType<typeof createMemoryAuditLog> } {
  const noStore: ClientConfigStore = {
    read: async () => {
      throw new Error('no config entries in this plan');
    },
    write: async () => {
      throw new Error('no config entries in this plan');
    },
  } as unknown as ClientConfigStore;
  return { plan: parsePlan(input), configStore: noStore, triggers: memoryTriggers(states), audit: createMemoryAuditLog(), kafka: {} as CutoverDeps['kafka'] };
}

describe('reverseBridge in the plan', () => {
  it('keeps a list of triggers with their consumer groups', () => {
    // Act
    const plan = parsePlan(forwardPlan);

    // Assess
    expect(plan.reverseBridge?.triggers.map((t) => [t.id, t.consumerGroupId])).toEqual([
      ['reverse-orders', 'kafka-msk-bridge-reverse-orders'],
      ['reverse-payments', 'kafka-msk-bridge-reverse-payments'],
    ]);
  });

  it('reads the older single "trigger" as a one-element "triggers"', () => {
    // Act
    const plan = parsePlan({ ...forwardPlan, reverseBridge: { bridgeId: 'orders-reverse', trigger: { id: 'reverse-0', controlUrl: 'http://127.0.0.1:7070' } } });

    // Assess
    expect(plan.reverseBridge).toEqual({ bridgeId: 'orders-reverse', triggers: [{ id: 'reverse-0', controlUrl: 'http://127.0.0.1:7070' }] });
    expect(parsePlan(plan)).toEqual(plan);
  });

  it.each([
    ['both forms', { bridgeId: 'r', trigger: { id: 'a' }, triggers: [{ id: 'b' }] }, /reverseBridge\.trigger: give either "triggers" \(a list\) or the older single "trigger", not both/],
    ['neither', { bridgeId: 'r' }, /reverseBridge\.triggers: expected the reverse bridge's event source mappings/],
    ['an empty list', { bridgeId: 'r', triggers: [] }, /reverseBridge\.triggers: Array must contain at least 1/],
    ['a mapping twice', { bridgeId: 'r', triggers: [{ id: 'a' }, { id: 'a' }] }, /reverseBridge\.triggers: mapping a is listed twice/],
    ['an unknown key', { bridgeId: 'r', triggers: [{ id: 'a', group: 'g' }] }, /unknown key "group" at reverseBridge\.triggers\.0/],
  ])('refuses %s with a ConfigError naming the field', (_name, reverseBridge, message) => {
    // Act
    const parse = (): unknown => parsePlan({ ...forwardPlan, reverseBridge } as unknown as CutoverPlanInput);

    // Assess
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(message);
  });
});

describe('the reverse bridge with one mapping per topic', () => {
  it('switchProducerConfig enables every mapping, each audited', async () => {
    // Prepare
    const deps = depsOf(forwardPlan, { 'reverse-orders': 'Disabled', 'reverse-payments': 'Disabled', 'billing-0': 'Enabled' });

    // Act
    const result = await switchProducerConfig(deps);

    // Assess
    expect(result.changes).toEqual([
      { kind: 'trigger', target: 'reverse-orders', from: 'Disabled', to: 'Enabled' },
      { kind: 'trigger', target: 'reverse-payments', from: 'Disabled', to: 'Enabled' },
    ]);
    expect((await deps.triggers.status({ id: 'reverse-payments' })).state).toBe('Enabled');
    expect((await deps.triggers.status({ id: 'billing-0' })).state).toBe('Enabled');
  });

  it('switchProducerConfig leaves a mapping that is already enabled unaudited', async () => {
    // Prepare
    const deps = depsOf(forwardPlan, { 'reverse-orders': 'Enabled', 'reverse-payments': 'Disabled' });

    // Act
    const result = await switchProducerConfig(deps);

    // Assess
    expect(result.changes.map((c) => c.target)).toEqual(['reverse-payments']);
  });

  it('the rollback disables every mapping the switch enabled', async () => {
    // Prepare
    const states: Record<string, string> = { 'reverse-orders': 'Disabled', 'reverse-payments': 'Disabled' };
    const deps = depsOf(forwardPlan, states);
    await switchProducerConfig(deps);

    // Act
    const result = await rollback(deps, { Error: 'InjectedFailure' });

    // Assess
    expect(states).toEqual({ 'reverse-orders': 'Disabled', 'reverse-payments': 'Disabled' });
    expect((result.detail as { actions: string[] }).actions).toEqual(['mapping reverse-payments: Disabled', 'mapping reverse-orders: Disabled']);
  });

  it('decommission disables every mapping and audits each', async () => {
    // Prepare
    const states: Record<string, string> = { 'reverse-orders': 'Enabled', 'reverse-payments': 'Enabled' };
    const deps = depsOf(forwardPlan, states);

    // Act
    const result = await decommissionReverseBridge(deps);

    // Assess
    expect(result.detail).toEqual({ bridgeId: 'orders-reverse', mappings: { 'reverse-orders': 'Disabled', 'reverse-payments': 'Disabled' } });
    expect(deps.audit.records.filter((r) => r.event === 'change').map((r) => [r.step, r.change?.target, r.change?.to])).toEqual([
      ['decommissionReverseBridge', 'reverse-orders', 'Disabled'],
      ['decommissionReverseBridge', 'reverse-payments', 'Disabled'],
    ]);
  });
});

describe('the decommission input of the state machine (events/cutover-decommission-reverse-bridge.json)', () => {
  it('disables every mapping of the plan in the state input', async () => {
    // Prepare
    const event = JSON.parse(readFileSync(new URL('../../../events/cutover-decommission-reverse-bridge.json', import.meta.url), 'utf8')) as { plan: CutoverPlanInput };
    const ids = parsePlan(event.plan).reverseBridge?.triggers.map((t) => t.id) ?? [];
    const states: Record<string, string> = Object.fromEntries(ids.map((id) => [id, 'Enabled']));

    // Act
    await decommissionReverseBridge(depsOf(event.plan, states));

    // Assess
    expect(ids.length).toBeGreaterThan(0);
    expect(Object.values(states)).toEqual(ids.map(() => 'Disabled'));
  });
});

describe('the reverse bridge\'s own consumer groups', () => {
  it('buildFailbackPlan carries them in failbackOf.reverseBridgeGroups', () => {
    // Act
    const failback = parsePlan(buildFailbackPlan(parsePlan(forwardPlan)));

    // Assess
    expect(failback.failbackOf?.reverseBridgeGroups).toEqual(['kafka-msk-bridge-reverse-orders', 'kafka-msk-bridge-reverse-payments']);
    expect([...bridgeGroupsOnMsk(failback)]).toEqual(['kafka-msk-bridge-reverse-orders', 'kafka-msk-bridge-reverse-payments']);
  });

  it('bridgeGroupsOnMsk reads them from a forward plan too, and is empty when the triggers name none', () => {
    // Act + Assess
    expect([...bridgeGroupsOnMsk(parsePlan(forwardPlan))]).toEqual(['kafka-msk-bridge-reverse-orders', 'kafka-msk-bridge-reverse-payments']);
    const unnamed = parsePlan({ ...forwardPlan, reverseBridge: { bridgeId: 'orders-reverse', trigger: { id: 'reverse-0' } } });
    expect(bridgeGroupsOnMsk(unnamed).size).toBe(0);
    expect(parsePlan(buildFailbackPlan(unnamed)).failbackOf).toEqual({ cutoverId: 'orders-1', forwardBridge: { bridgeId: 'orders' } });
  });
});
