import { createBridgeLambda } from '../../src/bridge/lambda';

// Environment parsed once, at module start: a bad variable (KAFKA_CLIENT included) fails the init with a
// ConfigError naming it.
const lambda = createBridgeLambda(process.env);

/** Bare handler (tests, `invoke local`, the ESM emulator): Lambda Kafka event → partial-batch response. */
export const bridge = lambda.bridgeHandler;

/** Deployed handler: middy + Powertools Logger/Metrics. Env: functions/bridge/README.md. */
export const handler = lambda.handler;
