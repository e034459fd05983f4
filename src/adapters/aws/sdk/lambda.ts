// Loaded with import() at first use; named re-exports only, so the chunk holds these classes (see ../lazy.ts).
export { LambdaClient, GetEventSourceMappingCommand, UpdateEventSourceMappingCommand, CreateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
