import { createSinkLambda } from '../../src/sinks/lambda';

// Environment parsed once, at module start: a bad variable fails the init with a ConfigError naming it.
const lambda = createSinkLambda('sqs', process.env);

/** Bare handler (tests, `invoke local`, the ESM emulator): Lambda Kafka event → partial-batch response. */
export const sinkSqs = lambda.sinkHandler;

/** Deployed handler: middy + Powertools Logger/Metrics. Env: src/sinks/README.md. */
export const handler = lambda.handler;
