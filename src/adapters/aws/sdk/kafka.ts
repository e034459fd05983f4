// Loaded with import() at first use; named re-exports only, so the chunk holds these classes (see ../lazy.ts).
export { KafkaClient, GetBootstrapBrokersCommand } from '@aws-sdk/client-kafka';
