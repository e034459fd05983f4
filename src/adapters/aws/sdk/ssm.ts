// Loaded with import() at first use; named re-exports only, so the chunk holds these classes (see ../lazy.ts).
export { SSMClient, GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
