import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain ESM script without type declarations; its exports are checked by these tests
import { ALLOWED_STAR_RESOURCE, checkFunctionCoverage, checkIamPolicies, validateDeploy } from '../../scripts/validate-deploy.mjs';

type Statement = Record<string, unknown>;
const roleWith = (...statements: Statement[]) => ({
  Resources: {
    SomeRole: {
      Type: 'AWS::IAM::Role',
      Properties: { Policies: [{ PolicyName: 'p', PolicyDocument: { Version: '2012-10-17', Statement: statements } }] },
    },
  },
});

describe('IAM rule (checkIamPolicies)', () => {
  it('fails on a wildcard action, a service wildcard and a partial wildcard', () => {
    // Prepare
    const template = roleWith(
      { Effect: 'Allow', Action: '*', Resource: 'arn:aws:sqs:eu-west-1:123456789012:q' },
      { Effect: 'Allow', Action: ['sqs:*'], Resource: 'arn:aws:sqs:eu-west-1:123456789012:q' },
      { Sid: 'Partial', Effect: 'Allow', Action: ['s3:Put*'], Resource: 'arn:aws:s3:::b/*' },
    );

    // Act
    const problems: string[] = checkIamPolicies(template);

    // Assess
    expect(problems).toEqual([
      'SomeRole policy "p" statement 0: wildcard action "*"',
      'SomeRole policy "p" statement 1: wildcard action "sqs:*"',
      'SomeRole policy "p" statement Partial: wildcard action "s3:Put*"',
    ]);
  });

  it('flags Resource "*" unless every action is on the allow-list, and requires the namespace condition for PutMetricData', () => {
    // Prepare
    const template = roleWith(
      { Sid: 'Eni', Effect: 'Allow', Action: ['ec2:CreateNetworkInterface', 'ec2:DescribeSubnets'], Resource: '*' },
      { Sid: 'Secrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: '*' },
      { Sid: 'MetricsNoCondition', Effect: 'Allow', Action: ['cloudwatch:PutMetricData'], Resource: '*' },
      {
        Sid: 'Metrics',
        Effect: 'Allow',
        Action: ['cloudwatch:PutMetricData'],
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'KafkaMskBridge' } },
      },
      { Sid: 'Not', Effect: 'Allow', NotAction: ['iam:*'], Resource: 'arn:aws:s3:::b' },
    );

    // Act
    const problems: string[] = checkIamPolicies(template);

    // Assess
    expect(problems).toEqual([
      'SomeRole policy "p" statement Secrets: "secretsmanager:GetSecretValue" on Resource "*" (not on the allow-list; scope it to named resources)',
      'SomeRole policy "p" statement MetricsNoCondition: "cloudwatch:PutMetricData" on Resource "*" needs a cloudwatch:namespace condition',
      'SomeRole policy "p" statement Not: NotAction grants everything but the listed actions; list the actions instead',
    ]);
    expect(Object.values(ALLOWED_STAR_RESOURCE).every((reason) => typeof reason === 'string' && reason.length > 20)).toBe(true);
  });

  it('reports functions on disk missing from serverless.yml and declared functions without a handler', () => {
    // Act
    const problems: string[] = checkFunctionCoverage(['bridge', 'sink-sqs'], ['bridge', 'lag-monitor']);

    // Assess
    expect(problems).toEqual([
      'functions/lag-monitor/handler.ts exists but serverless.yml declares no function "lag-monitor"',
      'serverless.yml declares "sink-sqs" but functions/sink-sqs/handler.ts does not exist',
    ]);
  });
});

describe('sample events', () => {
  it('has a real-shaped scheduled EventBridge event for the lag monitor', () => {
    // Act
    const event = JSON.parse(readFileSync('events/lag-monitor.json', 'utf8')) as Record<string, unknown>;

    // Assess
    expect(event).toMatchObject({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
    expect(event.resources).toEqual([expect.stringMatching(/^arn:aws:events:[a-z0-9-]+:\d{12}:rule\//)]);
    expect(Number.isNaN(Date.parse(String(event.time)))).toBe(false);
  });
});

describe('offline deployment validation', () => {
  it(
    'builds, packages every trigger variant with osls, and passes cfn-lint, asl-validator and the IAM rule',
    async () => {
      // Act
      const report = await validateDeploy({ variants: ['default', 'msk'] });

      // Assess
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.variants.default.functions).toEqual(expect.arrayContaining(['bridge', 'lag-monitor']));
      expect(report.variants.default.resources).toBeGreaterThan(10);
      expect(report.variants.msk.functions).toEqual(report.variants.default.functions);
    },
    900_000,
  );
});
