import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../support/helpers';
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
    const problems: string[] = checkFunctionCoverage(['bridge', 'sink-sqs', 'cutoverWaitDrained'], ['bridge', 'lag-monitor', 'cutover-wait-drained']);

    // Assess
    expect(problems).toEqual([
      'functions/lag-monitor/handler.ts exists but serverless.yml declares no function "lag-monitor" (or "lagMonitor")',
      'serverless.yml declares "sink-sqs" but no functions/<sink-sqs in kebab-case>/handler.ts exists',
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
    'builds, packages the service with osls, and passes cfn-lint, asl-validator and the IAM rule',
    async () => {
      // Act — the default (self-managed kafka trigger) variant only, to keep the suite short; the msk and mTLS
      // variants are packaged by `node scripts/validate-deploy.mjs` without --variants.
      const report = await validateDeploy({ variants: ['default'] });

      // Assess
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.variants.default.functions).toEqual(expect.arrayContaining(['bridge', 'lag-monitor', 'sink-sqs']));
      expect(report.variants.default.resources).toBeGreaterThan(10);
      expect(report.aslFiles).toEqual(expect.arrayContaining(['infra/cutover.asl.json']));
    },
    1_800_000,
  );
});

describe('bundler (scripts/build.mjs)', () => {
  it('bundles a handler into a self-contained ES module that loads and runs from a fresh directory', async () => {
    // Prepare
    const outdir = join(tmpdir(), uniqueName('kbridge-build'));

    // Act
    const build = await promisify(execFile)(process.execPath, ['scripts/build.mjs', '--functions-dir', 'test/deploy/fixtures/functions', '--outdir', outdir, '--json'], {
      encoding: 'utf8',
      timeout: 240_000,
    });

    // Assess
    const report = JSON.parse(build.stdout) as { functions: { name: string; bytes: number; topPackages: Record<string, number>; lazyChunks: { topPackages: Record<string, number> }[] }[] };
    expect(report.functions.map((f) => f.name)).toEqual(['sample']);
    // Both Kafka adapters are bundled, each in a chunk loaded on first use (the sample creates a client of the default one).
    expect(report.functions[0]!.lazyChunks.flatMap((c) => Object.keys(c.topPackages))).toEqual(expect.arrayContaining(['kafkajs', '@platformatic/kafka']));
    expect(readFileSync(join(outdir, 'sample', 'package.json'), 'utf8')).toContain('"module"');
    expect(readFileSync(join(outdir, 'sample', 'index.js'), 'utf8')).toMatch(/sourceMappingURL=index\.js\.map/);
    const mod = (await import(pathToFileURL(join(outdir, 'sample', 'index.js')).href)) as { handler: (e: unknown, c: unknown) => Promise<unknown> };
    await expect(mod.handler({ ping: 'x' }, {})).resolves.toEqual({ pong: 'x', errorName: 'KBridgeError', hasKafka: true, hasSqs: true });
    rmSync(outdir, { recursive: true, force: true });
  }, 300_000);
});
