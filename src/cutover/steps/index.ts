import type { CutoverDeps, StepResult } from '../context';
import { decommissionReverseBridge } from '../failback';
import { fenceProducers } from './fenceProducers';
import { preflight } from './preflight';
import { rollback, type RollbackCause } from './rollback';
import { startTargetConsumers } from './startTargetConsumers';
import { startTargetProducers } from './startTargetProducers';
import { stopSourceConsumers } from './stopSourceConsumers';
import { switchConsumerConfig, switchProducerConfig } from './switchClientConfig';
import { translateAndSeedOffsets } from './translateAndSeedOffsets';
import { verify } from './verify';
import { waitDrained, type DrainPhase } from './waitDrained';

/** What a state-machine Task passes to a step besides the plan (`Parameters` in infra/cutover.asl.json). */
export interface StepInput {
  phase?: DrainPhase;
  error?: RollbackCause;
}

/**
 * Every step by the name the Lambda functions (`functions/cutover-<kebab>`) and the local runner use.
 *
 * @example
 * ```ts
 * await cutoverSteps.waitDrained(deps, { phase: 'groups' });
 * ```
 */
export const cutoverSteps = {
  preflight: (deps) => preflight(deps),
  fenceProducers: (deps) => fenceProducers(deps),
  waitDrained: (deps, input) => waitDrained(deps, input.phase ?? 'groups'),
  stopSourceConsumers: (deps) => stopSourceConsumers(deps),
  translateAndSeedOffsets: (deps) => translateAndSeedOffsets(deps),
  switchConsumerConfig: (deps) => switchConsumerConfig(deps),
  switchProducerConfig: (deps) => switchProducerConfig(deps),
  startTargetConsumers: (deps) => startTargetConsumers(deps),
  startTargetProducers: (deps) => startTargetProducers(deps),
  verify: (deps) => verify(deps),
  rollback: (deps, input) => rollback(deps, input.error ?? {}),
  decommissionReverseBridge: (deps) => decommissionReverseBridge(deps),
} as const satisfies Record<string, (deps: CutoverDeps, input: StepInput) => Promise<StepResult>>;

export type CutoverStepKey = keyof typeof cutoverSteps;
