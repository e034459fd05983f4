// Loaded with import() at first use; named re-exports only, so the chunk holds these classes (see ../lazy.ts).
export { SecretsManagerClient, GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
