#!/usr/bin/env node
// Runs one Lambda function from its built bundle as the nodejs22.x runtime would: import() of the handler file
// (module init, timed), then the named export called with each event in turn and a Lambda-shaped context (each
// invocation timed). Used by test/deploy/bundles.test.ts and bench/bridge-cold-start.ts; run it in a fresh process
// from a copy of the zipped files, so that nothing resolves from the repository's node_modules.
//
//   node scripts/run-bundle.mjs <dir>/index.js <export> <functionName> <event.json> [<event.json> …]
//
// Prints one line `__KBRIDGE_BUNDLE_RESULT__{json}` last: { initMs, invokeMs (first invocation), result (first),
// invocations: [{ ms, result } | { ms, error }], error?, phase?: 'init' | 'invoke', native: [paths process.dlopen
// loaded] } — the native list shows which .node binary a library really used (a fallback loads none).
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const RESULT_MARKER = '__KBRIDGE_BUNDLE_RESULT__';

const [indexFile, exportName, functionName, ...eventFiles] = process.argv.slice(2);
const native = [];
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) {
  native.push(filename);
  return dlopen.call(this, module, filename, ...rest);
};
const done = (r) => {
  process.stdout.write(`\n${RESULT_MARKER}${JSON.stringify({ ...r, native })}\n`, () => process.exit(0));
};
const describe = (e) => `${String(e && e.name)}: ${String(e && e.message)}`;

const t0 = performance.now();
let mod;
try {
  mod = await import(pathToFileURL(indexFile).href);
} catch (e) {
  done({ phase: 'init', error: describe(e) });
}
if (mod) {
  const initMs = performance.now() - t0;
  const handler = mod[exportName];
  if (typeof handler !== 'function') {
    done({ phase: 'init', initMs, error: `export "${exportName}" is not a function` });
  } else {
    const invocations = [];
    let failure;
    for (const file of eventFiles) {
      const context = {
        functionName,
        functionVersion: '$LATEST',
        awsRequestId: randomUUID(),
        memoryLimitInMB: '512',
        invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
        logGroupName: `/aws/lambda/${functionName}`,
        logStreamName: 'run-bundle',
        callbackWaitsForEmptyEventLoop: true,
        getRemainingTimeInMillis: () => 60_000,
      };
      const event = JSON.parse(readFileSync(file, 'utf8'));
      const t1 = performance.now();
      try {
        const result = await handler(event, context);
        invocations.push({ ms: performance.now() - t1, result });
      } catch (e) {
        invocations.push({ ms: performance.now() - t1, error: describe(e) });
        failure = describe(e);
        break;
      }
    }
    const first = invocations[0];
    done({
      initMs,
      ...(first ? { invokeMs: first.ms, result: first.result } : {}),
      invocations,
      ...(failure ? { phase: 'invoke', error: failure } : {}),
    });
  }
}
