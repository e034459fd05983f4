#!/usr/bin/env node
// Builds one Lambda bundle per `functions/<name>/handler.ts` (found on disk: a new function needs no edit here),
// the generated serverless.yml fragments (dashboard, alarms, state machine), and a size report.
//
//   node scripts/build.mjs                       # every function, AWS SDK bundled (what we deploy)
//   node scripts/build.mjs --only bridge,lag-monitor
//   node scripts/build.mjs --external '@aws-sdk/*,@smithy/*'   # leave packages out (comparisons: runtime SDK, a layer)
//   node scripts/build.mjs --measure            # also time module initialisation (fresh node, median of 5)
//   node scripts/build.mjs --outdir /tmp/b --functions-dir test/deploy/fixtures/functions
//   node scripts/build.mjs --stage prod --param "accountId=210987654321"   # dashboard/alarms for that stage
//
// Output: <outdir>/<name>/index.js (+ .map, package.json, metafile.json), <outdir>/report.json,
//         <outdir>/serverless/{monitoring,step-functions}.json (included by serverless.yml with ${file(...)}).
//
// Why ESM: the package is "type": "module", the nodejs22.x runtime loads ES module handlers natively, the
// AWS SDK v3 and Powertools ship ES modules that esbuild tree-shakes better than their CJS builds, and a handler
// module may use top-level await during init. kafkajs is CommonJS and calls require() for Node built-ins, which
// an ES module bundle cannot do by itself, hence the createRequire banner.
// Why index.js + {"type":"module"} rather than index.mjs: `osls invoke local` only loads `<handler>.js` (as ESM
// when the nearest package.json says so) or `.cjs`; Lambda honours the same package.json inside the zip.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values: opts } = parseArgs({
  options: {
    only: { type: 'string' },
    external: { type: 'string', default: '' },
    outdir: { type: 'string', default: join(ROOT, '.build') },
    'functions-dir': { type: 'string', default: join(ROOT, 'functions') },
    measure: { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    // Stage and stage parameters used to resolve serverless.yml (the lag monitor's config for the dashboard and
    // alarms, the example environment for --measure): build with the same ones you deploy with.
    stage: { type: 'string', default: 'dev' },
    param: { type: 'string', multiple: true, default: [] },
  },
  strict: true,
});

// Everything is bundled by default, the AWS SDK included (see docs/deploy.md, "Bundles"); --external exists
// to measure the alternatives (SDK from the runtime, shared dependencies in a layer).
const externals = opts.external.split(',').map((s) => s.trim()).filter(Boolean);

const outdir = resolve(opts.outdir);
const functionsDir = resolve(opts['functions-dir']);
const runs = Number.parseInt(opts.runs, 10);
if (!Number.isInteger(runs) || runs < 1) fail(`--runs must be a positive integer, got "${opts.runs}"`);

/** `functions/<name>/handler.ts` on disk, sorted, optionally filtered by --only. */
function discoverFunctions(dir) {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'handler.ts')))
    .sort();
  if (!opts.only) return names;
  const wanted = opts.only.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((w) => !names.includes(w));
  if (unknown.length > 0) fail(`--only names functions with no handler.ts: ${unknown.join(', ')} (found: ${names.join(', ') || 'none'})`);
  return names.filter((n) => wanted.includes(n));
}

const BANNER = [
  "import { createRequire as __kbridgeCreateRequire } from 'node:module';",
  'const require = __kbridgeCreateRequire(import.meta.url);',
].join('\n');

async function buildOne(name) {
  const entry = join(functionsDir, name, 'handler.ts');
  const fnOut = join(outdir, name);
  rmSync(fnOut, { recursive: true, force: true });
  mkdirSync(fnOut, { recursive: true });
  const outfile = join(fnOut, 'index.js');
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // The ESM entry points of the SDK and Powertools tree-shake; the CJS ones ("main") do not.
    mainFields: ['module', 'main'],
    minify: true,
    treeShaking: true,
    sourcemap: 'linked',
    // Stack traces only need names and positions; leaving sources out keeps the .map (and the zip) small.
    sourcesContent: false,
    legalComments: 'eof',
    banner: { js: BANNER },
    external: externals,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  for (const w of result.warnings) {
    process.stderr.write(`build: warning in ${name}: ${w.text}${w.location ? ` (${w.location.file}:${w.location.line})` : ''}\n`);
  }
  writeFileSync(join(fnOut, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(fnOut, 'metafile.json'), JSON.stringify(result.metafile));
  const code = readFileSync(outfile);
  const inputsByPackage = new Map();
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  for (const [path, info] of Object.entries(output?.inputs ?? {})) {
    const pkg = packageOf(path);
    inputsByPackage.set(pkg, (inputsByPackage.get(pkg) ?? 0) + info.bytesInOutput);
  }
  const top = [...inputsByPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  return {
    name,
    file: relative(ROOT, outfile),
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    mapBytes: statSync(`${outfile}.map`).size,
    external: externals,
    topPackages: Object.fromEntries(top),
  };
}

/** "node_modules/@aws-sdk/client-sqs/dist-es/x.js" → "@aws-sdk/client-sqs"; project files → their top folder. */
function packageOf(path) {
  const idx = path.lastIndexOf('node_modules/');
  if (idx >= 0) {
    const parts = path.slice(idx + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
  }
  return `(project) ${path.split('/')[0]}`;
}

/**
 * Time to `import()` a bundle in a fresh node process (module initialisation: parse, evaluate, handler-module
 * top-level code), median of `runs`. The child gets dummy AWS settings and the example environment of the
 * function, so config parsing at module start succeeds as it would on Lambda.
 */
function measureInit(bundle, env) {
  const url = pathToFileURL(join(ROOT, bundle.file)).href;
  const probe = `const t=performance.now();try{await import(${JSON.stringify(url)});process.stdout.write(JSON.stringify({ms:performance.now()-t}))}catch(e){process.stdout.write(JSON.stringify({ms:performance.now()-t,error:String(e&&e.name)+': '+String(e&&e.message).slice(0,300)}))}`;
  const samples = [];
  let error;
  for (let i = 0; i < runs; i++) {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
      cwd: join(ROOT, bundle.file, '..'),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const parsed = safeJson(child.stdout);
    if (!parsed) {
      error = `probe failed: ${(child.stderr || child.stdout || '').slice(0, 300)}`;
      break;
    }
    if (parsed.error) error = parsed.error;
    samples.push(parsed.ms);
  }
  samples.sort((a, b) => a - b);
  const median = samples.length ? samples[Math.floor(samples.length / 2)] : undefined;
  return { initMsMedian: median === undefined ? undefined : Math.round(median * 10) / 10, initMsSamples: samples.map((s) => Math.round(s * 10) / 10), ...(error ? { initError: error } : {}) };
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The environment a function gets on Lambda, with example values: read from `scripts/function-env.json`
 * when present, else from the `environment` blocks of serverless.yml with stage-parameter defaults resolved.
 */
function exampleEnv(name) {
  const base = {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_LAMBDA_FUNCTION_NAME: name,
    // An unroutable endpoint: init must not call AWS; if it did, the measurement would show it.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    POWERTOOLS_SERVICE_NAME: 'kafka-msk-bridge',
    POWERTOOLS_METRICS_NAMESPACE: 'KafkaMskBridge',
  };
  // serverless.yml keys are the folder name (sink-sqs) or its camelCase (cutoverPreflight for cutover-preflight).
  const envs = resolvedServerlessEnv();
  const camel = name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
  return { ...base, ...(envs[name] ?? envs[camel] ?? {}) };
}

let serverlessEnvCache;
function resolvedServerlessEnv() {
  if (serverlessEnvCache) return serverlessEnvCache;
  serverlessEnvCache = {};
  const printed = resolveServerless();
  if (!printed) return serverlessEnvCache;
  const providerEnv = printed.provider?.environment ?? {};
  for (const [fname, fn] of Object.entries(printed.functions ?? {})) {
    const env = {};
    for (const [k, v] of Object.entries({ ...providerEnv, ...(fn.environment ?? {}) })) {
      env[k] = typeof v === 'string' ? v : placeholderFor(k, v);
    }
    serverlessEnvCache[fname] = env;
  }
  return serverlessEnvCache;
}

let printedCache;
/**
 * serverless.yml as osls resolves it for --stage/--param (`osls print`): ${param:...}/${self:...} filled in;
 * CloudFormation intrinsics (Ref, GetAtt) stay objects. Undefined when there is no serverless.yml.
 */
function resolveServerless() {
  if (printedCache !== undefined) return printedCache ?? undefined;
  printedCache = null;
  if (!existsSync(join(ROOT, 'serverless.yml'))) return undefined;
  const args = [join(ROOT, 'node_modules/osls/bin/serverless.js'), 'print', '--format', 'json', '--stage', opts.stage];
  for (const p of opts.param) args.push(`--param=${p}`);
  const res = spawnSync(process.execPath, args, {
    cwd: ROOT,
    // print resolves no AWS variable here; dummy credentials keep osls from looking for real ones.
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', SLS_TELEMETRY_DISABLED: '1' },
    encoding: 'utf8',
    timeout: 300_000,
  });
  const start = res.stdout.indexOf('{');
  const printed = start >= 0 ? safeJson(res.stdout.slice(start)) : undefined;
  if (!printed) fail(`osls print (stage ${opts.stage}) failed: ${(res.stderr || res.stdout).trim().slice(-1500)}`);
  printedCache = printed;
  return printed;
}

function placeholderFor(key, value) {
  const json = JSON.stringify(value);
  if (/Url|URL/.test(key) || json.includes('QueueUrl')) return 'https://sqs.eu-west-1.amazonaws.com/123456789012/placeholder';
  if (/ARN|Arn/.test(key) || json.includes('Arn')) return 'arn:aws:lambda:eu-west-1:123456789012:function:placeholder';
  return 'placeholder';
}

/**
 * serverless.yml fragments generated from code: the CloudWatch dashboard and alarms (infra/dashboard.ts and
 * infra/alarms.ts, fed with the lag monitor's LAG_MONITOR_CONFIG as serverless.yml resolves it for --stage) and
 * the cutover state machine (when infra/cutover.asl.json exists). Each file is always written so serverless.yml
 * can include it; a part whose source does not exist yet is empty and reported, never invented.
 */
async function writeServerlessFragments() {
  const dir = join(outdir, 'serverless');
  mkdirSync(dir, { recursive: true });
  const notes = [];

  const stepFunctionsFile = join(dir, 'step-functions.json');
  const monitoringFile = join(dir, 'monitoring.json');
  // Written empty first: serverless.yml includes both, and resolving serverless.yml is how we learn the config.
  if (!existsSync(stepFunctionsFile)) writeFileSync(stepFunctionsFile, '{"stateMachines":{}}\n');
  if (!existsSync(monitoringFile)) writeFileSync(monitoringFile, '{"Resources":{}}\n');

  const stepFunctions = { stateMachines: {} };
  const cutover = cutoverStateMachine();
  if (cutover.definition) stepFunctions.stateMachines.cutover = { name: '${self:service}-${sls:stage}-cutover', definition: cutover.definition };
  notes.push(cutover.note);
  writeFileSync(stepFunctionsFile, `${JSON.stringify(stepFunctions, null, 2)}\n`);

  const monitoring = await generateMonitoring();
  writeFileSync(monitoringFile, `${JSON.stringify({ Resources: monitoring.resources }, null, 2)}\n`);
  notes.push(monitoring.note);
  return notes;
}

/**
 * The cutover state machine from infra/cutover.asl.json, included only when every Lambda function its Tasks
 * reference (`{"Fn::GetAtt": ["<Key>LambdaFunction", "Arn"]}`) is declared in serverless.yml — a definition
 * pointing at functions that do not exist yet would not deploy.
 */
function cutoverStateMachine() {
  const aslPath = join(ROOT, 'infra', 'cutover.asl.json');
  if (!existsSync(aslPath)) return { note: 'step functions: none — infra/cutover.asl.json does not exist yet' };
  const definition = JSON.parse(readFileSync(aslPath, 'utf8'));
  const referenced = new Set();
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const getAtt = v['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && getAtt[0].endsWith('LambdaFunction')) referenced.add(getAtt[0]);
      Object.values(v).forEach(walk);
    }
  };
  walk(definition);
  // osls's logical id of a function key: first letter upper-cased, "-" → "Dash", "_" → "Underscore".
  const logicalIdOf = (key) => `${key.charAt(0).toUpperCase()}${key.slice(1)}`.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  const declared = new Set(Object.keys(resolveServerless()?.functions ?? {}).map((k) => `${logicalIdOf(k)}LambdaFunction`));
  const missing = [...referenced].filter((id) => !declared.has(id)).map((id) => id.replace(/LambdaFunction$/, ''));
  if (missing.length > 0) {
    return { note: `step functions: NOT INCLUDED — infra/cutover.asl.json references functions serverless.yml does not declare: ${missing.join(', ')}` };
  }
  return { definition, note: `step functions: cutover state machine from infra/cutover.asl.json (${referenced.size} functions)` };
}

async function generateMonitoring() {
  const dashboardTs = join(ROOT, 'infra', 'dashboard.ts');
  const alarmsTs = join(ROOT, 'infra', 'alarms.ts');
  if (!existsSync(dashboardTs) || !existsSync(alarmsTs)) {
    return { resources: {}, note: 'monitoring: NOT GENERATED — infra/dashboard.ts or infra/alarms.ts is missing' };
  }
  const printed = resolveServerless();
  const fn = printed?.functions?.['lag-monitor'];
  const raw = fn?.environment?.LAG_MONITOR_CONFIG;
  if (typeof raw !== 'string') {
    return { resources: {}, note: 'monitoring: NOT GENERATED — serverless.yml has no lag-monitor function with a LAG_MONITOR_CONFIG string' };
  }
  const { tsImport } = await import('tsx/esm/api');
  const [{ buildDashboard }, { buildAlarms }, { parseLagMonitorConfig }] = await Promise.all([
    tsImport(pathToFileURL(dashboardTs).href, import.meta.url),
    tsImport(pathToFileURL(alarmsTs).href, import.meta.url),
    tsImport(pathToFileURL(join(ROOT, 'src', 'lag', 'config.ts')).href, import.meta.url),
  ]);
  const config = parseLagMonitorConfig(safeJson(raw) ?? fail(`LAG_MONITOR_CONFIG of stage ${opts.stage} is not JSON`), `LAG_MONITOR_CONFIG (stage ${opts.stage})`);
  const resources = {
    LagDashboard: buildDashboard(config, { dashboardName: `${printed.service?.name ?? printed.service}-${opts.stage}-lag` }),
    // osls names the lag-monitor function's logical id LagDashmonitorLambdaFunction ("-" → "Dash").
    ...buildAlarms(config, { functionName: { Ref: 'LagDashmonitorLambdaFunction' } }),
  };
  return { resources, note: `monitoring: dashboard + ${Object.keys(resources).length - 1} alarms for stage ${opts.stage} (infra/dashboard.ts, infra/alarms.ts)` };
}

function fail(message) {
  process.stderr.write(`build: ${message}\n`);
  process.exit(2);
}

function printTable(bundles) {
  const rows = bundles.map((b) => [
    b.name,
    `${(b.bytes / 1024).toFixed(1)} KiB`,
    `${(b.gzipBytes / 1024).toFixed(1)} KiB`,
    `${(b.mapBytes / 1024).toFixed(1)} KiB`,
    b.initMsMedian === undefined ? '-' : `${b.initMsMedian} ms${b.initError ? ' (init threw)' : ''}`,
  ]);
  const head = ['function', 'bundle', 'gzip', 'map', `init (median of ${runs})`];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  process.stdout.write(`${line(head)}\n${rows.map(line).join('\n')}\n`);
}

const names = discoverFunctions(functionsDir);
mkdirSync(outdir, { recursive: true });
const bundles = [];
for (const name of names) {
  try {
    bundles.push(await buildOne(name));
  } catch (err) {
    const details = err?.errors?.map((e) => `${e.text}${e.location ? ` (${e.location.file}:${e.location.line})` : ''}`).join('; ');
    process.stderr.write(`build: ${name} failed: ${details || err?.message || err}\n`);
    process.exit(3);
  }
}
// Fragments first: --measure resolves serverless.yml, which includes them.
const notes = await writeServerlessFragments();
if (opts.measure) {
  for (const b of bundles) Object.assign(b, measureInit(b, exampleEnv(b.name)));
}
const report = { builtAt: new Date().toISOString(), node: process.version, external: externals, functions: bundles, notes };
writeFileSync(join(outdir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
if (opts.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  if (bundles.length === 0) process.stdout.write(`build: no functions/*/handler.ts found under ${relative(ROOT, functionsDir) || '.'}\n`);
  else printTable(bundles);
  for (const n of notes) process.stdout.write(`build: ${n}\n`);
}
