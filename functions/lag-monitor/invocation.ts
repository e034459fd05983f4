// What a lag-monitor run uses and module init does not: the Kafka client factory and lag reader, the lag
// computation, the metric publisher and the sample store. `lambda.ts` imports this module at the first invocation
// (a chunk of its own), so that init only parses the configuration (docs/deploy.md, "Lean bundles").
export { publishMetrics } from '../../src/adapters/aws/metricsPublisher';
export { createDynamoSampleStore } from '../../src/adapters/aws/metricsSampleStore';
export { createAwsSecretReader } from '../../src/adapters/aws/secrets';
export { createKafkaClient } from '../../src/kafka/factory';
export { KafkaLagReader } from '../../src/lag/kafkaLagReader';
export { runLagMonitor } from '../../src/lag/monitor';
