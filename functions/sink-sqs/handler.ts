import { sqsDestination } from '../../src/sinks/sqs';
import { createSinkLambda } from '../../src/sinks/lambda';

// Environment parsed once, at module start: a bad variable fails the init with a ConfigError naming it.
// One destination: the bundle carries this sink's SDK client only.
const lambda = createSinkLambda(sqsDestination, process.env);

/** Bare handler (tests, `invoke local`, the ESM emulator): Lambda Kafka event → partial-batch response. */
export const sinkSqs = lambda.sinkHandler;

/** Deployed handler: middy + Powertools Logger/Metrics. Env: src/sinks/README.md. */
export const handler = lambda.handler;
