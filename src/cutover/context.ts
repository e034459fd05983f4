import { KBridgeError, WaitTimeoutError } from '../errors';
import type { KafkaClient } from '../kafka';
import type { AuditChange, AuditLog, AuditRecord } from '../ports/auditLog';
import type { ClientConfigStore } from '../ports/clientConfigStore';
import type { TriggerControl } from '../ports/triggerControl';
import type { CutoverPlan } from './plan';

/** Everything a step acts on: the plan, the ports, and Kafka clients for both clusters. */
export interface CutoverDeps {
  plan: CutoverPlan;
  configStore: ClientConfigStore;
  triggers: TriggerControl;
  audit: AuditLog;
  kafka: { source: KafkaClient; target: KafkaClient };
  /** Print what each step would change, change nothing (audit goes to memory). */
  dryRun?: boolean;
  now?: () => number;
}

/** What every step returns (and the state machine keeps under `$.results.<step>`). JSON only. */
export interface StepResult {
  step: string;
  /** `already-done`: the audit shows this step finished before; its first result is returned again. */
  status: 'done' | 'already-done' | 'dry-run';
  changes: AuditChange[];
  detail?: unknown;
}

/** The handle a step body gets: record a change *before* making it, read earlier records, probe time. */
export interface StepContext {
  deps: CutoverDeps;
  step: string;
  records: AuditRecord[];
  /** Every record of this cutover (other steps' results). */
  all: AuditRecord[];
  now(): number;
  /** Audit a change (skipped in a dry run: the caller then must not act; see `dryRun`). */
  change(change: AuditChange): Promise<void>;
  probe(detail: unknown): Promise<void>;
  dryRun: boolean;
}

/**
 * Run one step idempotently: if the audit log already holds this step's `done` record, return its result
 * without acting (a resumed or retried execution); otherwise run `body`, audit its changes as they happen, and
 * write `done`. `plan.failAt` makes a finished step throw afterwards, to exercise rollback.
 *
 * @example
 * ```ts
 * return runStep('fenceProducers', deps, async (ctx) => ({ detail: await fence(ctx) }));
 * ```
 */
export async function runStep(step: string, deps: CutoverDeps, body: (ctx: StepContext) => Promise<{ detail?: unknown }>): Promise<StepResult> {
  const { plan, audit } = deps;
  const now = deps.now ?? Date.now;
  const records = await audit.list(plan.cutoverId);
  const done = records.find((r) => r.step === step && r.event === 'done');
  if (done) return { ...(done.result as StepResult), status: 'already-done' };
  const changes: AuditChange[] = [];
  const dryRun = deps.dryRun === true;
  const ctx: StepContext = {
    deps,
    step,
    records: records.filter((r) => r.step === step),
    all: records,
    now,
    dryRun,
    change: async (change) => {
      changes.push(change);
      if (!dryRun) await audit.append({ cutoverId: plan.cutoverId, step, event: 'change', at: new Date(now()).toISOString(), change: toJsonSafe(change) as AuditChange });
    },
    probe: async (detail) => {
      await audit.append({ cutoverId: plan.cutoverId, step, event: 'probe', at: new Date(now()).toISOString(), detail: toJsonSafe(detail) });
    },
  };
  const { detail } = await body(ctx);
  // Earlier invocations of a polling step may have made changes already; the result lists them all.
  const earlier = ctx.records.filter((r) => r.event === 'change' && r.change).map((r) => r.change as AuditChange);
  const result: StepResult = { step, status: dryRun ? 'dry-run' : 'done', changes: [...earlier, ...(toJsonSafe(changes) as AuditChange[])], ...(detail === undefined ? {} : { detail: toJsonSafe(detail) }) };
  if (!dryRun) {
    if (plan.failAt === step) {
      throw new KBridgeError(`Injected failure after step ${step} (plan.failAt)`, { step, injected: true });
    }
    await audit.append({ cutoverId: plan.cutoverId, step, event: 'done', at: new Date(now()).toISOString(), result });
  }
  return result;
}

/**
 * Fail a polling step once it has been polling longer than `timeoutSeconds`, counted from its first probe or
 * change record (so the limit holds across Lambda invocations and Step Functions retries).
 *
 * @example
 * ```ts
 * checkWaitTimeout(ctx, plan.timeouts.drainSeconds, 'source groups drained');
 * ```
 */
export function checkWaitTimeout(ctx: StepContext, timeoutSeconds: number, what: string, reasons: string[] = []): void {
  const first = ctx.records.find((r) => r.event === 'probe' || r.event === 'change');
  if (!first) return;
  const waitedMs = ctx.now() - Date.parse(first.at);
  if (waitedMs > timeoutSeconds * 1000) {
    throw new WaitTimeoutError(`${ctx.step}: ${what} not reached within ${timeoutSeconds} s${reasons.length ? `: ${reasons.slice(0, 5).join('; ')}` : ''}`, {
      step: ctx.step,
      waitedMs,
    });
  }
}

/**
 * JSON-safe copy: bigint → `{"$bigint": "123"}` (offsets must survive the audit log and Step Functions state).
 *
 * @example
 * ```ts
 * fromJsonSafe(JSON.parse(JSON.stringify(toJsonSafe({ o: 5n })))); // { o: 5n }
 * ```
 */
export function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toJsonSafe(v)]));
  }
  return value;
}

/** Inverse of {@link toJsonSafe}. */
export function fromJsonSafe<T>(value: unknown): T {
  if (Array.isArray(value)) return value.map((v) => fromJsonSafe(v)) as T;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$bigint === 'string' && Object.keys(o).length === 1) return BigInt(o.$bigint) as T;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fromJsonSafe(v)])) as T;
  }
  return value as T;
}
