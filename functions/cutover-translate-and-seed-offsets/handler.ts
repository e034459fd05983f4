import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { resolveAwsClientConfig } from '../../src/adapters/aws/clientConfig';
import { parseCutoverLambdaEnv } from '../../src/cutover/awsDeps';
import { createCutoverTask } from '../../src/cutover/lambdaTask';
// The step's own module, not the steps barrel: this bundle holds this step only.
import { translateAndSeedOffsets as runTranslateAndSeedOffsets } from '../../src/cutover/steps/translateAndSeedOffsets';

// Parsed once at module start: a missing CUTOVER_AUDIT_BUCKET fails the init with a ConfigError naming it.
const env = parseCutoverLambdaEnv(process.env);
const logger = new Logger({ serviceName: 'kbridge-cutover' });

/** Bare handler (tests, `invoke local`): the cutover step "translateAndSeedOffsets" for the plan in the state input. */
export const translateAndSeedOffsets = createCutoverTask((deps) => runTranslateAndSeedOffsets(deps), env, resolveAwsClientConfig(process.env));

/** Deployed handler: a Step Functions Task of infra/cutover.asl.json. */
export const handler = middy(translateAndSeedOffsets)
  .use(injectLambdaContext(logger))
  .onError(async (request) => {
    logger.error('cutover step failed', { step: 'translateAndSeedOffsets', error: request.error?.name, message: request.error?.message });
  });
