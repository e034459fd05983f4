// Loaded with import() at first use; named re-exports only, so the chunk holds these classes (see ../lazy.ts).
export { S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
