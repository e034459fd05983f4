import { describe, expect, it } from 'vitest';
import type { OffsetMapEntry, OffsetRun } from '../../../src/bridge/offsetMap';
import { buildFailbackPlan, forwardFactsFromAudit, offsetTranslator, translateFailbackOffset } from '../../../src/cutover/failback';
import { parsePlan, type CutoverPlanInput } from '../../../src/cutover/plan';
import type { AuditRecord } from '../../../src/ports/auditLog';

const entry = (bridgeId: string, sourceTopic: string, targetTopic: string, runs: OffsetRun[], first?: bigint, last?: bigint): OffsetMapEntry => ({
  bridgeId,
  sourceTopic,
  sourcePartition: 0,
  targetTopic,
  targetPartition: 0,
  firstSourceOffset: first ?? runs[0]?.sourceStart ?? 0n,
  lastSourceOffset: last ?? (runs.at(-1)?.sourceStart ?? 0n) + BigInt((runs.at(-1)?.length ?? 1) - 1),
  runs,
  deadLettered: [],
  writtenAt: 0,
});

// Forward bridge: old orders 0-9 → MSK dr.orders 0-9 (marker 10), old 10-14 → MSK 11-15 (marker 16).
const forward = [entry('fwd', 'orders', 'dr.orders', [{ sourceStart: 0n, targetStart: 0n, length: 10 }]), entry('fwd', 'orders', 'dr.orders', [{ sourceStart: 10n, targetStart: 11n, length: 5 }])];
// Reverse bridge: skipped MSK 0-16 (forwarded records and markers; no runs), then MSK 17-19 (written on MSK) → old 15-17.
const reverse = [entry('rev', 'dr.orders', 'orders', [], 0n, 15n), entry('rev', 'dr.orders', 'orders', [{ sourceStart: 17n, targetStart: 15n, length: 3 }], 16n, 19n)];
const at = (committed: bigint, r = reverse) => translateFailbackOffset({ forward, reverse: r, oldTopic: 'orders', mskTopic: 'dr.orders', partition: 0, committed });

describe('translateFailbackOffset', () => {
  it('maps a group still inside the forwarded records through the forward map', () => {
    expect(at(0n)).toEqual({ offset: 0n, via: 'forward' });
    expect(at(4n)).toEqual({ offset: 4n, via: 'forward' });
    expect(at(10n)).toEqual({ offset: 10n, via: 'forward' });
    expect(at(13n)).toEqual({ offset: 12n, via: 'forward' });
  });

  it('resumes after the last forwarded record when the group consumed all of them and nothing written on MSK', () => {
    expect(at(16n)).toEqual({ offset: 15n, via: 'forward' });
    expect(at(17n)).toEqual({ offset: 15n, via: 'forward' });
  });

  it('maps a group that consumed records written on MSK through the reverse map', () => {
    expect(at(18n)).toEqual({ offset: 16n, via: 'reverse' });
    expect(at(20n)).toEqual({ offset: 18n, via: 'reverse' });
  });

  it('refuses an offset the reverse bridge has not processed yet', () => {
    const behind = [entry('rev', 'dr.orders', 'orders', [], 0n, 15n)];
    expect(() => at(20n, behind)).toThrow(/beyond what the reverse bridge has processed \(next 16\)/);
  });

  it('refuses twins out of order (records written on both clusters while a bridge was behind)', () => {
    const crossed = [entry('rev', 'dr.orders', 'orders', [{ sourceStart: 17n, targetStart: 3n, length: 3 }], 0n, 19n)];
    expect(() => at(18n, crossed)).toThrow(/not in the same order on both clusters/);
  });

  it('translates the other way round too (the rollback of a failback: old-cluster offsets back to MSK)', () => {
    // Here "forward" is the reverse bridge (MSK 17-19 → old 15-17) and "reverse" the forward bridge reading the old cluster.
    const oldToMsk = [entry('fwd', 'orders', 'dr.orders', [{ sourceStart: 0n, targetStart: 0n, length: 10 }], 0n, 9n), entry('fwd', 'orders', 'dr.orders', [], 15n, 17n)];
    const mskToOld = [entry('rev', 'dr.orders', 'orders', [{ sourceStart: 17n, targetStart: 15n, length: 3 }], 16n, 19n)];
    const back = (committed: bigint) => translateFailbackOffset({ forward: mskToOld, reverse: oldToMsk, oldTopic: 'dr.orders', mskTopic: 'orders', partition: 0, committed });
    expect(back(4n)).toEqual({ offset: 4n, via: 'reverse' });
    expect(back(16n)).toEqual({ offset: 18n, via: 'reverse' });
    expect(back(18n)).toEqual({ offset: 20n, via: 'reverse' });
  });

  it('refuses a topic the forward bridge repartitioned', () => {
    const rp = [{ ...entry('fwd', 'orders', 'dr.orders', []), targetPartition: null, repartitioned: { targetPartitions: 2, spans: [] } }];
    expect(() => translateFailbackOffset({ forward: rp, reverse, oldTopic: 'orders', mskTopic: 'dr.orders', partition: 0, committed: 3n })).toThrow(/repartitioned orders by key/);
  });
});

const forwardPlan: CutoverPlanInput = {
  cutoverId: 'orders-1',
  pattern: 'stop-drain-switch',
  source: { name: 'onprem', bootstrapServers: '127.0.0.1:19092' },
  target: { name: 'msk', bootstrapServers: '127.0.0.1:29092' },
  bridge: { bridgeId: 'orders', topicMapping: { orders: 'dr.orders' } },
  reverseBridge: { bridgeId: 'orders-reverse', trigger: { id: 'reverse-0', controlUrl: 'http://127.0.0.1:7070' } },
  topics: ['orders', 'payments'],
  consumerGroups: [{ groupId: 'billing', sourceTriggers: [{ id: 'billing-0' }], targetTriggers: [{ create: { functionName: 'billing', topic: 'dr.orders' } }] }],
  configEntries: [
    { name: 'billing consumer', role: 'consumer', store: 'local', id: 'billing', targetValue: { bootstrapServers: 'msk:9092', cluster: 'msk' }, sourceValue: { bootstrapServers: 'onprem:9092' } },
    { name: 'orders producer', role: 'producer', store: 'local', id: 'producer', targetValue: { bootstrapServers: 'msk:9092' } },
  ],
};

const audit: AuditRecord[] = [
  { cutoverId: 'orders-1', step: 'fenceProducers', event: 'change', at: '', change: { kind: 'fence', target: 'local:producer', from: { bootstrapServers: 'onprem:9092' }, to: {} } },
  { cutoverId: 'orders-1', step: 'switchProducerConfig', event: 'change', at: '', change: { kind: 'config', target: 'local:producer', from: { bootstrapServers: 'onprem:9092', paused: true, clientId: 'p' }, to: {} } },
  { cutoverId: 'orders-1', step: 'startTargetConsumers', event: 'change', at: '', change: { kind: 'trigger-created', target: 'uuid-1', from: { key: 'billing:billing:dr.orders' }, to: 'uuid-1' } },
];

describe('buildFailbackPlan', () => {
  it('reverses the plan: clusters, bridge, inverted topics, triggers, config values from the plan or the audit', () => {
    const plan = parsePlan(buildFailbackPlan(parsePlan(forwardPlan), { facts: forwardFactsFromAudit(audit), failAt: 'translateAndSeedOffsets' }));
    expect(plan.cutoverId).toBe('orders-1-failback');
    expect([plan.source.name, plan.target.name]).toEqual(['msk', 'onprem']);
    expect(plan.bridge).toEqual({ bridgeId: 'orders-reverse', topicMapping: { 'dr.orders': 'orders' } });
    expect(plan.failbackOf).toEqual({ cutoverId: 'orders-1', forwardBridge: { bridgeId: 'orders' } });
    expect(plan.topics).toEqual(['dr.orders', 'payments']);
    expect(plan.consumerGroups).toEqual([{ groupId: 'billing', sourceTriggers: [{ id: 'uuid-1' }], targetTriggers: [{ id: 'billing-0' }] }]);
    expect(plan.configEntries.map((e) => [e.name, e.targetValue])).toEqual([
      ['billing consumer', { bootstrapServers: 'onprem:9092' }],
      ['orders producer', { bootstrapServers: 'onprem:9092', clientId: 'p' }],
    ]);
    expect(plan.reverseBridge).toBeUndefined();
    expect(plan.failAt).toBe('translateAndSeedOffsets');
  });

  it('refuses a plan without a reverse bridge, naming the field', () => {
    const { reverseBridge: _r, ...plain } = forwardPlan;
    expect(() => buildFailbackPlan(parsePlan(plain))).toThrow(/no "reverseBridge"/);
  });

  it('refuses when a source value is unknown, naming the entry', () => {
    expect(() => buildFailbackPlan(parsePlan(forwardPlan), { facts: { switchedFrom: {}, createdTriggers: { 'billing:billing:dr.orders': 'uuid-1' } } })).toThrow(/No source value for config entry orders producer \(local:producer\)/);
  });

  it('refuses when a mapping the forward cutover created is unknown', () => {
    expect(() => buildFailbackPlan(parsePlan(forwardPlan), { facts: { switchedFrom: { 'local:producer': { bootstrapServers: 'x:1' } }, createdTriggers: {} } })).toThrow(/created its mapping billing:billing:dr.orders/);
  });
});

describe('offsetTranslator (translateAndSeedOffsets)', () => {
  const plan = parsePlan({ ...forwardPlan, bridge: { bridgeId: 'orders' }, topics: ['orders'] });
  const fwd = (runs: OffsetRun[], first: bigint, last: bigint): OffsetMapEntry => ({ ...entry('orders', 'orders', 'orders', runs, first, last) });
  // A forward cutover run again after a rolled-back one: source orders 0-9 → target 0-9 (marker 10); producers wrote
  // target 11-14, copied back by the reverse bridge to source 10-13 (marker 14; the forward bridge skipped them);
  // then source 15-19 → target 15-19.
  const bridged = [fwd([{ sourceStart: 0n, targetStart: 0n, length: 10 }], 0n, 9n), fwd([], 10n, 14n), fwd([{ sourceStart: 15n, targetStart: 15n, length: 5 }], 15n, 19n)];
  const copies = [entry('orders-reverse', 'orders', 'orders', [], 0n, 10n), entry('orders-reverse', 'orders', 'orders', [{ sourceStart: 11n, targetStart: 10n, length: 4 }], 11n, 14n)];

  it('goes through the bridge map alone while the reverse bridge copied nothing into the partition', () => {
    expect(offsetTranslator(plan, bridged, [])('orders', 0, 4n)).toBe(4n);
    expect(() => offsetTranslator(plan, [fwd([{ sourceStart: 5n, targetStart: 0n, length: 5 }], 5n, 9n)], [])('orders', 0, 2n)).toThrow(/before the first replicated offset/);
  });

  it('resumes a group still reading the reverse bridge\'s copies at their originals on the target, not after them', () => {
    const translate = offsetTranslator(plan, bridged, copies);
    expect(translate('orders', 0, 12n)).toBe(13n);
    expect(translate('orders', 0, 14n)).toBe(15n);
    expect(translate('orders', 0, 17n)).toBe(17n);
    expect(translate('orders', 0, 5n)).toBe(5n);
  });
});
