import { kinesisDestination } from '../../src/sinks/kinesis';
import { createSinkLambda } from '../../src/sinks/lambda';

// Environment parsed once, at module start: a bad variable fails the init with a ConfigError naming it.
// One destination: the bundle carries this sink's SDK client only.
const lambda = createSinkLambda(kinesisDestination, process.env);

/** Bare handler (tests, `invoke local`, the ESM emulator): Lambda Kafka event → partial-batch response. */
export const sinkKinesis = lambda.sinkHandler;

/** Deployed handler: middy + Powertools Logger/Metrics. Env: src/sinks/README.md. */
export const handler = lambda.handler;
