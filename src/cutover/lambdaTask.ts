import type { AwsClientConfig } from '../adapters/aws/clientConfig';
import { buildAwsCutoverDeps, type CutoverLambdaEnv } from './awsDeps';
import type { CutoverDeps, StepResult } from './context';
import type { StepInput } from './steps';

/** What a cutover Task state sends (`Parameters` in infra/cutover.asl.json). */
export interface CutoverTaskEvent extends StepInput {
  step?: string;
  plan: unknown;
}

/**
 * The bare body of every `functions/cutover-<step>` Lambda: build the AWS dependencies from the plan in the
 * state, run one step, release the clients. Errors propagate with their taxonomy name, which Step Functions'
 * Retry/Catch match.
 *
 * @example
 * ```ts
 * export const preflight = createCutoverTask((deps) => preflight(deps), env, aws);
 * ```
 *
 * The step comes as a function, not looked up in `cutoverSteps`: a step's bundle then holds that step only (the
 * `./steps` barrel would bring all eleven).
 */
export function createCutoverTask(
  run: (deps: CutoverDeps, input: StepInput) => Promise<StepResult>,
  env: CutoverLambdaEnv,
  aws: AwsClientConfig,
): (event: CutoverTaskEvent) => Promise<StepResult> {
  return async (event) => {
    const { deps, close } = await buildAwsCutoverDeps(event.plan, env, aws);
    try {
      return await run(deps, { ...(event.phase ? { phase: event.phase } : {}), ...(event.error ? { error: event.error } : {}) });
    } finally {
      close();
    }
  };
}
