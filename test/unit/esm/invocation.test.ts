import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HandlerLoadError } from '../../../src/errors';
import { callHandler } from '../../../src/local/esm/EsmMapping';
import { loadHandler } from '../../../src/local/esm/handlerLoader';
import { createLambdaContext, newLogStreamName } from '../../../src/local/esm/lambdaContext';

const handlers = resolve(__dirname, '../../fixtures/esm/handlers');

describe('callHandler', () => {
  it('returns what an async handler resolves to', async () => {
    // Act
    const result = await callHandler(async () => ({ batchItemFailures: [] }), {}, {}, 1);

    // Assess
    expect(result).toEqual({ ok: true, value: { batchItemFailures: [] } });
  });

  it('takes the result of a callback-style handler', async () => {
    // Act
    const ok = await callHandler((_e, _c, cb) => setTimeout(() => cb?.(null, 'done'), 5), {}, {}, 1);
    const failed = await callHandler((_e, _c, cb) => cb?.(new Error('nope')), {}, {}, 1);

    // Assess
    expect(ok).toEqual({ ok: true, value: 'done' });
    expect(failed).toMatchObject({ ok: false, timedOut: false, error: new Error('nope') });
  });

  it('turns a throw or rejection into a failure', async () => {
    // Act
    const thrown = await callHandler(() => {
      throw new TypeError('bad');
    }, {}, {}, 1);
    const rejected = await callHandler(async () => Promise.reject(new Error('later')), {}, {}, 1);

    // Assess
    expect(thrown).toMatchObject({ ok: false, error: new TypeError('bad') });
    expect(rejected).toMatchObject({ ok: false, error: new Error('later') });
  });

  it('fails a handler that runs past its timeout, with Lambda\'s message', async () => {
    // Act
    const result = await callHandler(() => new Promise((r) => setTimeout(r, 500)), {}, {}, 0.05);

    // Assess
    expect(result).toMatchObject({ ok: false, timedOut: true });
    expect(String((result as { error: Error }).error.message)).toBe('Task timed out after 0.05 seconds');
  });
});

describe('createLambdaContext', () => {
  it('looks like the Node.js runtime\'s context and counts down to the timeout', () => {
    // Prepare
    let now = 10_000;

    // Act
    const ctx = createLambdaContext({ functionName: 'orders', region: 'eu-west-1', memorySize: 512, timeoutSeconds: 6, startedAt: 10_000, logStreamName: newLogStreamName(new Date('2025-01-02T00:00:00Z')), now: () => now });
    const atStart = ctx.getRemainingTimeInMillis();
    now = 15_500;
    const later = ctx.getRemainingTimeInMillis();
    now = 20_000;

    // Assess
    expect(ctx).toMatchObject({
      functionName: 'orders',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:orders',
      memoryLimitInMB: '512',
      logGroupName: '/aws/lambda/orders',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(ctx.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(ctx.logStreamName).toMatch(/^2025\/01\/02\/\[\$LATEST\][0-9a-f]{32}$/);
    expect([atStart, later, ctx.getRemainingTimeInMillis()]).toEqual([6000, 500, 0]);
  });
});

describe('loadHandler', () => {
  it('loads a TypeScript export by module path without extension', async () => {
    // Act
    const fn = await loadHandler(handlers, 'recordAll');

    // Assess
    expect(typeof fn).toBe('function');
  });

  it('names the module and export when either is missing', async () => {
    // Act & Assess
    await expect(loadHandler(handlers, 'nope')).rejects.toThrow(HandlerLoadError);
    await expect(loadHandler(handlers, 'notAFunction')).rejects.toThrow(/has no function export "notAFunction" \(function exports: .*recordAll/);
    await expect(loadHandler(`${handlers}-missing`, 'main')).rejects.toThrow(/Handler module .*handlers-missing not found/);
  });
});
