import { parseKafkaClientEnv, setDefaultKafkaClient } from '../../src/kafka';
import { createLagMonitorLambda } from './lambda';

// KAFKA_CLIENT (kafkajs | platformatic) picks the Kafka client library; a bad value fails the init naming it.
setDefaultKafkaClient(parseKafkaClientEnv(process.env));
// Parsed once at module start (cold start): a missing or bad variable fails the init with a ConfigError naming it.
const lambda = createLagMonitorLambda(process.env);

/** Bare handler (tests, `invoke local`): one monitor run, returns the report. */
export const lagMonitor = lambda.lagMonitor;

/** Deployed handler (EventBridge schedule): middy + Powertools Logger/Metrics. Config: src/lag/config.ts. */
export const handler = lambda.handler;
