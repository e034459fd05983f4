import { randomUUID } from 'node:crypto';

/** The subset of Lambda's Node.js `context` object a handler can rely on. */
export interface EmulatedLambdaContext {
  callbackWaitsForEmptyEventLoop: boolean;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  getRemainingTimeInMillis(): number;
  done(err?: unknown, result?: unknown): void;
  fail(err: unknown): void;
  succeed(result: unknown): void;
}

export interface LambdaContextOptions {
  functionName: string;
  region: string;
  memorySize: number;
  timeoutSeconds: number;
  /** When the invocation started (epoch ms); the deadline is start + timeout. */
  startedAt: number;
  /** Lambda keeps one log stream per execution environment; the emulator is one environment per mapping. */
  logStreamName: string;
  now?: () => number;
}

const LOCAL_ACCOUNT = '000000000000';

/**
 * Build the `context` Lambda's Node.js runtime passes to a handler, for one invocation.
 * `memoryLimitInMB` is a string, as in the real runtime.
 *
 * @example
 * ```ts
 * const ctx = createLambdaContext({ functionName: 'f', region: 'us-east-1', memorySize: 1024, timeoutSeconds: 6,
 *   startedAt: Date.now(), logStreamName: newLogStreamName() });
 * ctx.getRemainingTimeInMillis(); // ≈ 6000
 * ```
 */
export function createLambdaContext(options: LambdaContextOptions): EmulatedLambdaContext {
  const now = options.now ?? Date.now;
  const deadline = options.startedAt + options.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(options.region, options.functionName),
    memoryLimitInMB: String(options.memorySize),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: options.logStreamName,
    getRemainingTimeInMillis: countdown(deadline, now),
    done: legacy,
    fail: legacy,
    succeed: legacy,
  };
}

/** A function of its own so that the countdown is an anonymous arrow: tsx (keepNames) wraps a named one on every call. */
function countdown(deadline: number, now: () => number): () => number {
  return () => Math.max(0, deadline - now());
}

/** context.done/succeed/fail are deprecated and unsupported on nodejs≥18 runtimes. */
function legacy(): void {
  throw new Error('context.done/succeed/fail are not supported by the Node.js 18+ Lambda runtimes; return a value or use the callback');
}

/** A log stream name in Lambda's format: `YYYY/MM/DD/[$LATEST]<32 hex>`. */
export function newLogStreamName(date = new Date()): string {
  const day = date.toISOString().slice(0, 10).replace(/-/g, '/');
  return `${day}/[$LATEST]${randomUUID().replace(/-/g, '')}`;
}

/** The function ARN the emulator reports (local account id). */
export function localFunctionArn(region: string, functionName: string): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${functionName}`;
}
