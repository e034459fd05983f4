// Loaded with import() at first use; named re-exports only, so the chunk holds these classes (see ../lazy.ts).
export { SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
