#!/usr/bin/env node
// Builds one Lambda bundle per `functions/<name>/handler.ts` (found on disk: a new function needs no edit here),
// the generated serverless.yml fragments (dashboard, alarms, state machine), and a size report.
//
//   node scripts/build.mjs                       # every function, AWS SDK bundled (what we deploy)
//   node scripts/build.mjs --only bridge,lag-monitor
//   node scripts/build.mjs --external '@aws-sdk/*,@smithy/*'   # leave packages out (comparisons: runtime SDK, a layer)
//   node scripts/build.mjs --measure            # also time module initialisation (fresh node, interleaved, fastest + median of 7)
//   node scripts/build.mjs --only bridge --measure --baseline .build-baseline/bridge   # and a kept bundle beside it (ratio)
//   node scripts/build.mjs --arch x64           # native modules for this architecture (default: serverless.yml's)
//   node scripts/build.mjs --outdir /tmp/b --functions-dir test/deploy/fixtures/functions
//   node scripts/build.mjs --stage prod --param "accountId=210987654321"   # dashboard/alarms for that stage
//
// Output: <outdir>/<name>/index.js (+ chunk-*.js for lazily imported modules, .map files, package.json, metafile.json,
//         crc32.linux-<arch>-gnu.node where @platformatic/kafka is bundled), <outdir>/report.json,
//         <outdir>/serverless/{monitoring,step-functions}.json (included by serverless.yml with ${file(...)}).
//
// Lean bundles (issue 15): code splitting is on, so a dynamic `import()` (a Kafka adapter, an AWS SDK client
// only a rare path needs) becomes a chunk file that is read only when that path runs; module init evaluates the
// entry and its static imports only. Chunks sit beside index.js (no sub-folder): a chunk's `import.meta.url` and
// the createRequire banner then resolve relative files the same way from every chunk.
// @platformatic/kafka (ESM only) needs two fixes to run from a bundle: @platformatic/wasm-utils reads
// `native.wasm` next to its own file, so it is aliased to its `bundled` build (the same WebAssembly inlined);
// and its CRC32C loads the native `@node-rs/crc32` through a createRequire of its own file, which from a bundle
// resolves nothing on Lambda (it would silently fall back to WebAssembly). The plugin below rewrites that one
// require to load `./crc32.linux-<process.arch>-gnu.node` from the function folder, and the build copies the binary
// for the function's Lambda architecture (serverless.yml `architecture`) there: the exact version @node-rs/crc32 pins,
// checked against package-lock.json's integrity, cached (scripts/native-crc32.mjs; offline with a warm cache).
//
// Why ESM: the package is "type": "module", the nodejs22.x runtime loads ES module handlers natively, the
// AWS SDK v3 and Powertools ship ES modules that esbuild tree-shakes better than their CJS builds, and a handler
// module may use top-level await during init. kafkajs is CommonJS and calls require() for Node built-ins, which
// an ES module bundle cannot do by itself, hence the createRequire banner.
// Why index.js + {"type":"module"} rather than index.mjs: `osls invoke local` only loads `<handler>.js` (as ESM
// when the nearest package.json says so) or `.cjs`; Lambda honours the same package.json inside the zip.
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import YAML from 'yaml';
import { lazyAjvValidatorsPlugin } from './lazy-validators.mjs';
import { crc32Binary, crc32BinaryName, NativeBinaryError } from './native-crc32.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values: opts } = parseArgs({
  options: {
    only: { type: 'string' },
    external: { type: 'string', default: '' },
    outdir: { type: 'string', default: join(ROOT, '.build') },
    'functions-dir': { type: 'string', default: join(ROOT, 'functions') },
    measure: { type: 'boolean', default: false },
    runs: { type: 'string', default: '7' },
    // A kept bundle folder (its index.js) measured in the same run as the new bundle of --baseline-of, interleaved.
    baseline: { type: 'string' },
    'baseline-of': { type: 'string', default: 'bridge' },
    // Architecture of the native modules copied beside bundles: arm64 | x64; default from serverless.yml.
    arch: { type: 'string' },
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

/** Lambda `architecture` (serverless.yml) → Node's `process.arch`. */
const LAMBDA_ARCH = { arm64: 'arm64', x86_64: 'x64' };

/**
 * The Node architecture whose native binaries go beside a function's bundle: --arch, else the function's (or the
 * provider's) `architecture` in serverless.yml (read as plain YAML: no osls resolution needed), else x86_64 (Lambda's
 * default).
 */
function targetArchOf(name) {
  if (opts.arch) {
    if (!Object.values(LAMBDA_ARCH).includes(opts.arch)) fail(`--arch must be arm64 or x64, got "${opts.arch}"`);
    return opts.arch;
  }
  const yml = serverlessYaml();
  const camel = name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
  const fn = yml?.functions?.[name] ?? yml?.functions?.[camel];
  const lambdaArch = fn?.architecture ?? yml?.provider?.architecture ?? 'x86_64';
  const arch = LAMBDA_ARCH[lambdaArch];
  if (!arch) fail(`serverless.yml: architecture "${lambdaArch}" of ${name} is neither arm64 nor x86_64`);
  return arch;
}

let serverlessYamlCache;
function serverlessYaml() {
  if (serverlessYamlCache !== undefined) return serverlessYamlCache;
  const file = join(ROOT, 'serverless.yml');
  serverlessYamlCache = existsSync(file) ? YAML.parse(readFileSync(file, 'utf8'), { merge: true }) : null;
  return serverlessYamlCache;
}

/**
 * @platformatic/kafka's CRC32C loader, rewritten for a bundle: the native binary is looked up beside the chunk
 * (the function folder), by the running process's architecture, so a binary for the wrong architecture is never
 * loaded and its absence shows as the library's WebAssembly fallback (which the deploy test refuses).
 */
const nativeCrc32Plugin = {
  name: 'kbridge-native-crc32',
  setup(build) {
    build.onLoad({ filter: /[\\/]@platformatic[\\/]kafka[\\/]dist[\\/]protocol[\\/]crc32c\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const from = "require('@node-rs/crc32')";
      if (!source.includes(from)) {
        // A new @platformatic/kafka version loads the binary differently: refuse rather than ship the fallback.
        return { errors: [{ text: `${relative(ROOT, args.path)} no longer contains ${from}; update the native CRC32C rewrite in scripts/build.mjs` }] };
      }
      const contents = source.replace(from, 'require(`./crc32.linux-${process.arch}-gnu.node`)');
      return { contents, loader: 'js' };
    });
  },
};


const BANNER = [
  "import { createRequire as __kbridgeCreateRequire } from 'node:module';",
  'const require = __kbridgeCreateRequire(import.meta.url);',
].join('\n');

async function buildOne(name) {
  const entry = join(functionsDir, name, 'handler.ts');
  const fnOut = join(outdir, name);
  rmSync(fnOut, { recursive: true, force: true });
  mkdirSync(fnOut, { recursive: true });
  const result = await esbuild.build({
    entryPoints: { index: entry },
    outdir: fnOut,
    // Dynamic imports become chunks loaded when their path runs (see the header).
    splitting: true,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // The ESM entry points of the SDK and Powertools tree-shake; the CJS ones ("main") do not.
    mainFields: ['module', 'main'],
    alias: { '@platformatic/wasm-utils': '@platformatic/wasm-utils/bundled' },
    plugins: [nativeCrc32Plugin, lazyAjvValidatorsPlugin(ROOT)],
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

  const outputs = Object.entries(result.metafile.outputs)
    .filter(([path]) => path.endsWith('.js'))
    .map(([path, info]) => ({ path, file: relative(fnOut, resolve(ROOT, path)), info }));
  // (Chunks of dynamic imports carry an `entryPoint` too: the entry is the one output named index.js.)
  const entryOut = outputs.find((o) => o.file === 'index.js');
  // What module init reads: the entry and everything it imports statically (not through import()).
  const atInit = new Set();
  const visit = (path) => {
    if (atInit.has(path)) return;
    atInit.add(path);
    for (const imp of result.metafile.outputs[path]?.imports ?? []) if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
  };
  if (entryOut) visit(entryOut.path);
  const sum = (list) => list.reduce((n, o) => n + statSync(join(fnOut, o.file)).size, 0);
  const packagesOf = (list) => {
    const byPackage = new Map();
    for (const o of list) {
      for (const [path, input] of Object.entries(o.info.inputs)) byPackage.set(packageOf(path), (byPackage.get(packageOf(path)) ?? 0) + input.bytesInOutput);
    }
    return Object.fromEntries([...byPackage.entries()].filter(([, b]) => b > 0).sort((a, b) => b[1] - a[1]).slice(0, 8));
  };
  const initOutputs = outputs.filter((o) => atInit.has(o.path));
  const lazyOutputs = outputs.filter((o) => !atInit.has(o.path));

  const usesNativeCrc32 = Object.keys(result.metafile.inputs).some((p) => /@platformatic[\\/]kafka[\\/]dist[\\/]protocol[\\/]crc32c\.js$/.test(p));
  const native = [];
  if (usesNativeCrc32) {
    const arch = targetArchOf(name);
    let binary;
    try {
      // Pinned version and lockfile integrity; from node_modules or the verified cache (scripts/native-crc32.mjs).
      binary = crc32Binary({ root: ROOT, arch });
    } catch (err) {
      if (err instanceof NativeBinaryError) fail(err.message);
      throw err;
    }
    const { bytes } = binary;
    writeFileSync(join(fnOut, crc32BinaryName(arch)), bytes);
    native.push({
      file: crc32BinaryName(arch),
      arch,
      bytes: bytes.length,
      package: `${binary.name}@${binary.version}`,
      integrity: binary.integrity,
      source: binary.source,
      from: relative(ROOT, binary.from).startsWith('..') ? binary.from : relative(ROOT, binary.from),
    });
  }

  const code = Buffer.concat(outputs.map((o) => readFileSync(join(fnOut, o.file))));
  return {
    name,
    file: relative(ROOT, join(fnOut, 'index.js')),
    // Every .js file of the function (entry + chunks): what the zip carries besides maps and native binaries.
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    mapBytes: outputs.reduce((n, o) => n + (existsSync(join(fnOut, `${o.file}.map`)) ? statSync(join(fnOut, `${o.file}.map`)).size : 0), 0),
    // What module init reads and evaluates (entry + its static imports).
    initBytes: sum(initOutputs),
    external: externals,
    topPackages: packagesOf(initOutputs),
    // Chunks read only when a dynamic import() runs (the Kafka adapters, rare-path AWS clients), largest first.
    lazyChunks: lazyOutputs
      .map((o) => ({ file: o.file, bytes: statSync(join(fnOut, o.file)).size, topPackages: packagesOf([o]) }))
      .sort((a, b) => b.bytes - a.bytes),
    native,
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
 * A function folder copied out of the repository, as Lambda unpacks it: imports cannot reach the repository's
 * node_modules from there (a bundle that still needs one fails, as it would on Lambda).
 */
function isolatedCopy(dir, label) {
  const dest = join(measureRoot(), label);
  rmSync(dest, { recursive: true, force: true });
  cpSync(dir, dest, { recursive: true, filter: (src) => !src.endsWith('.map') && !src.endsWith('metafile.json') });
  return join(dest, 'index.js');
}

let measureRootDir;
function measureRoot() {
  measureRootDir ??= mkdtempSync(join(tmpdir(), 'kbridge-measure-'));
  return measureRootDir;
}

/**
 * One module initialisation: `import()` of the bundle in a fresh node process (parse, evaluate, handler-module
 * top-level code). The child gets dummy AWS settings and the example environment of the function, so config
 * parsing at module start succeeds as it would on Lambda.
 */
function initOnce(indexFile, env) {
  const url = pathToFileURL(indexFile).href;
  // Wall time is what Lambda bills and waits for; CPU time (user + system, all threads) is also kept because on a
  // shared machine it moves far less with the load than wall time does.
  const probe = `const c=process.cpuUsage(),t=performance.now();const r=()=>{const u=process.cpuUsage(c);return{ms:performance.now()-t,cpuMs:(u.user+u.system)/1000}};try{await import(${JSON.stringify(url)});process.stdout.write(JSON.stringify(r()))}catch(e){process.stdout.write(JSON.stringify({...r(),error:String(e&&e.name)+': '+String(e&&e.message).slice(0,300)}))}`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: dirname(indexFile),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const parsed = safeJson(child.stdout);
  if (!parsed) return { error: `probe failed: ${(child.stderr || child.stdout || '').slice(0, 300)}` };
  return parsed;
}

/**
 * Module init of every target, `runs` rounds, interleaved (round i runs each target once, in turn, starting at
 * the i-th), so a machine that gets busier or quieter during the run moves every figure alike. Fastest and median
 * per target.
 */
function measureInits(targets, pairedWith) {
  const samples = new Map(targets.map((t) => [t.key, []]));
  // Per round (index = round), for the difference to `pairedWith` in the same round.
  const byRound = new Map(targets.map((t) => [t.key, []]));
  const cpuSamples = new Map(targets.map((t) => [t.key, []]));
  const errors = new Map();
  for (let i = 0; i < runs; i++) {
    // Each round starts one target further on, so that no target always runs first or right after the same one
    // (measured: the first after the 1 MiB baseline came out systematically faster).
    const shift = i % targets.length;
    for (const t of [...targets.slice(shift), ...targets.slice(0, shift)]) {
      const r = initOnce(t.indexFile, t.env);
      if (r.error) errors.set(t.key, r.error);
      if (typeof r.ms === 'number') samples.get(t.key).push(r.ms);
      byRound.get(t.key)[i] = r.ms;
      if (typeof r.cpuMs === 'number') cpuSamples.get(t.key).push(r.cpuMs);
    }
  }
  const round = (ms) => (ms === undefined ? undefined : Math.round(ms * 10) / 10);
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const out = new Map();
  for (const t of targets) {
    const s = samples.get(t.key).sort((a, b) => a - b);
    const cpu = cpuSamples.get(t.key).sort((a, b) => a - b);
    // Median over rounds of (this − pairedWith) in the same round: the load of a round moves both alike, so this
    // says "faster or slower than the bridge" more steadily than two medians taken apart do.
    const paired = pairedWith && t.key !== pairedWith
      ? byRound.get(t.key).map((ms, i) => ms - byRound.get(pairedWith)[i]).filter((d) => Number.isFinite(d))
      : [];
    out.set(t.key, {
      ...(paired.length > 0 ? { initMsPairedDiffMedian: round(median(paired)), initMsPairedFasterRounds: paired.filter((d) => d <= 0).length } : {}),
      initMsMedian: round(s[Math.floor(s.length / 2)]),
      initMsFastest: round(s[0]),
      initMsSamples: s.map(round),
      initCpuMsMedian: round(cpu[Math.floor(cpu.length / 2)]),
      ...(errors.has(t.key) ? { initError: errors.get(t.key) } : {}),
    });
  }
  return out;
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
  // serverless.yml names them under .build/, so with another --outdir an empty pair goes there too when missing
  // (never over a real one: a build into .build may be running beside this one).
  for (const d of new Set([dir, join(ROOT, '.build', 'serverless')])) {
    mkdirSync(d, { recursive: true });
    if (!existsSync(join(d, 'step-functions.json'))) writeFileSync(join(d, 'step-functions.json'), '{"stateMachines":{}}\n');
    if (!existsSync(join(d, 'monitoring.json'))) writeFileSync(join(d, 'monitoring.json'), '{"Resources":{}}\n');
  }

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

function printTable(bundles, baseline) {
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  const ratio = (b) => (baseline?.initMsMedian && b.initMsMedian !== undefined ? String(Math.round((b.initMsMedian / baseline.initMsMedian) * 100) / 100) : '-');
  const ms = (b) => (b.initMsMedian === undefined ? '-' : `${b.initMsMedian} ms${b.initError ? ' (init threw)' : ''}`);
  const rows = bundles.map((b) => [
    b.name,
    kib(b.bytes),
    kib(b.initBytes),
    kib(b.gzipBytes),
    b.native.map((n) => `${n.file} (${kib(n.bytes)})`).join(', ') || '-',
    ms(b),
    b.initMsFastest === undefined ? '-' : `${b.initMsFastest} ms`,
    b.initCpuMsMedian === undefined ? '-' : `${b.initCpuMsMedian} ms`,
    ratio(b),
    b.initMsPairedDiffMedian === undefined ? '-' : `${b.initMsPairedDiffMedian > 0 ? '+' : ''}${b.initMsPairedDiffMedian} ms (${b.initMsPairedFasterRounds}/${runs})`,
  ]);
  if (baseline) rows.push([`${baseline.comparedWith} (baseline ${baseline.dir})`, kib(baseline.bytes), kib(baseline.bytes), '-', '-', ms(baseline), `${baseline.initMsFastest} ms`, `${baseline.initCpuMsMedian} ms`, '1', `${baseline.initMsPairedDiffMedian > 0 ? '+' : ''}${baseline.initMsPairedDiffMedian} ms (${baseline.initMsPairedFasterRounds}/${runs})`]);
  const head = ['function', 'js (all chunks)', 'js at init', 'gzip', 'native', `init median of ${runs}`, 'init fastest', 'init CPU median', 'median / baseline', `median of (init − ${opts['baseline-of']}'s) per round (rounds ≤ 0)`];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  process.stdout.write(`${line(head)}\n${rows.map(line).join('\n')}\n`);
  if (baseline) {
    process.stdout.write(`build: ${baseline.comparedWith} init / baseline init = ${baseline.ratioMedian} (median), ${baseline.ratioFastest} (fastest), ${runs} interleaved runs each\n`);
    const of = bundles.find((b) => b.name === baseline.comparedWith);
    const slower = bundles.filter((b) => b !== of && of?.initMsMedian !== undefined && b.initMsMedian > of.initMsMedian).map((b) => `${b.name} ${b.initMsMedian} ms`);
    process.stdout.write(`build: median init above ${baseline.comparedWith}'s (${of?.initMsMedian} ms): ${slower.join(', ') || 'none'}\n`);
    const pairedSlower = bundles.filter((b) => b.initMsPairedDiffMedian > 0).map((b) => `${b.name} +${b.initMsPairedDiffMedian} ms`);
    process.stdout.write(`build: slower than ${baseline.comparedWith} in the same round (median of the differences > 0): ${pairedSlower.join(', ') || 'none'}\n`);
  }
  for (const b of bundles) if (b.initError) process.stdout.write(`build: ${b.name} init threw: ${b.initError}\n`);
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
let baseline;
if (opts.measure) {
  const targets = bundles.map((b) => ({ key: b.name, indexFile: isolatedCopy(join(ROOT, b.file, '..'), b.name), env: exampleEnv(b.name) }));
  if (opts.baseline) {
    const dir = resolve(opts.baseline);
    if (!existsSync(join(dir, 'index.js'))) fail(`--baseline ${opts.baseline} has no index.js`);
    if (!bundles.some((b) => b.name === opts['baseline-of'])) fail(`--baseline needs the function it is compared with in this build (--baseline-of ${opts['baseline-of']})`);
    targets.push({ key: '(baseline)', indexFile: isolatedCopy(dir, 'baseline'), env: exampleEnv(opts['baseline-of']) });
  }
  const measured = measureInits(targets, opts.baseline ? opts['baseline-of'] : undefined);
  for (const b of bundles) Object.assign(b, measured.get(b.name));
  if (opts.baseline) {
    const base = measured.get('(baseline)');
    const now = measured.get(opts['baseline-of']);
    baseline = {
      dir: relative(ROOT, resolve(opts.baseline)) || opts.baseline,
      comparedWith: opts['baseline-of'],
      bytes: statSync(join(resolve(opts.baseline), 'index.js')).size,
      ...base,
      ratioMedian: base.initMsMedian && now.initMsMedian !== undefined ? Math.round((now.initMsMedian / base.initMsMedian) * 100) / 100 : undefined,
      ratioFastest: base.initMsFastest && now.initMsFastest !== undefined ? Math.round((now.initMsFastest / base.initMsFastest) * 100) / 100 : undefined,
    };
    for (const b of bundles) {
      if (base.initMsMedian && b.initMsMedian !== undefined) b.initMedianVsBaseline = Math.round((b.initMsMedian / base.initMsMedian) * 100) / 100;
    }
  }
  rmSync(measureRoot(), { recursive: true, force: true });
}
const report = { builtAt: new Date().toISOString(), node: process.version, external: externals, functions: bundles, ...(baseline ? { baseline } : {}), notes };
writeFileSync(join(outdir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
if (opts.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  if (bundles.length === 0) process.stdout.write(`build: no functions/*/handler.ts found under ${relative(ROOT, functionsDir) || '.'}\n`);
  else printTable(bundles, baseline);
  for (const n of notes) process.stdout.write(`build: ${n}\n`);
}
