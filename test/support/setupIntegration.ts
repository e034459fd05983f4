import { inject } from 'vitest';

// Every AWS SDK v3 client the project creates honours these, so integration tests talk to the local moto
// server with dummy credentials and never to a real account.
const aws = inject('aws');
process.env.AWS_ENDPOINT_URL = aws.endpoint;
process.env.AWS_REGION = aws.region;
process.env.AWS_DEFAULT_REGION = aws.region;
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;
