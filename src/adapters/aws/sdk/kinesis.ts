// Loaded with import() at first use; named re-exports only, so the chunk holds these classes (see ../lazy.ts).
export { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
// Already installed with every AWS SDK v3 client (not yet declared in package.json).
export { NodeHttpHandler } from '@smithy/node-http-handler';
