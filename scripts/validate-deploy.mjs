#!/usr/bin/env node
// Validates the deployment offline, as CI does (no AWS account, no network but the package registries):
//   1. `npm run build` (skip with --skip-build) — bundles + generated serverless fragments;
//   2. every functions/*/handler.ts is declared in serverless.yml and every declared function has a bundle;
//   3. `osls package` with dummy credentials, once per trigger variant (self-managed `kafka`, `msk`, mTLS);
//   4. cfn-lint on each generated template (installed into ~/.cache/kbridge/cfn-lint-venv when absent);
//   5. asl-validator on every infra/*.asl.json;
//   6. the IAM rule: no wildcard action anywhere; `Resource: "*"` only for the allow-listed actions below.
//
//   node scripts/validate-deploy.mjs [--skip-build] [--variants default,msk,mtls] [--json]
//
// Exit codes: 0 valid, 1 a check failed, 3 a tool could not run.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { clearTimeout, setTimeout } from 'node:timers';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CFN_LINT_VERSION = '1.58.0';
const CFN_LINT_VENV = join(homedir(), '.cache', 'kbridge', 'cfn-lint-venv');

/**
 * cfn-lint findings that come from the framework, not from this project's templates.
 * W3005: osls adds `DependsOn: <role>` to functions and event source mappings that already `GetAtt` the role.
 */
export const IGNORED_CFN_LINT_RULES = { W3005: 'osls adds DependsOn on the role next to a GetAtt of the same role' };

/**
 * Actions allowed on `Resource: "*"`, with the reason. Anything else on "*" fails the IAM check.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/ lists which actions have resource types.
 */
export const ALLOWED_STAR_RESOURCE = {
  'ec2:CreateNetworkInterface': 'Lambda VPC attachment (function and Kafka-trigger pollers); AWS documents it on * (AWSLambdaVPCAccessExecutionRole)',
  'ec2:DeleteNetworkInterface': 'Lambda VPC attachment; AWS documents it on * (AWSLambdaVPCAccessExecutionRole)',
  'ec2:AssignPrivateIpAddresses': 'Lambda VPC attachment; AWS documents it on * (AWSLambdaVPCAccessExecutionRole)',
  'ec2:UnassignPrivateIpAddresses': 'Lambda VPC attachment; AWS documents it on * (AWSLambdaVPCAccessExecutionRole)',
  'ec2:DescribeNetworkInterfaces': 'EC2 Describe* actions have no resource-level permissions',
  'ec2:DescribeSubnets': 'EC2 Describe* actions have no resource-level permissions',
  'ec2:DescribeSecurityGroups': 'EC2 Describe* actions have no resource-level permissions',
  'ec2:DescribeVpcs': 'EC2 Describe* actions have no resource-level permissions',
  'cloudwatch:PutMetricData': 'has no resource types; scoped by a cloudwatch:namespace condition instead (required below)',
  'logs:CreateLogDelivery': 'Step Functions logging: vended-log delivery APIs have no resource types',
  'logs:GetLogDelivery': 'Step Functions logging: vended-log delivery APIs have no resource types',
  'logs:UpdateLogDelivery': 'Step Functions logging: vended-log delivery APIs have no resource types',
  'logs:DeleteLogDelivery': 'Step Functions logging: vended-log delivery APIs have no resource types',
  'logs:ListLogDeliveries': 'Step Functions logging: vended-log delivery APIs have no resource types',
  'logs:PutResourcePolicy': 'Step Functions logging: vended-log delivery APIs have no resource types',
  'logs:DescribeResourcePolicies': 'Step Functions logging: vended-log delivery APIs have no resource types',
  'logs:DescribeLogGroups': 'Step Functions logging: vended-log delivery APIs have no resource types',
};

/** Actions that must carry a condition when on "*". */
const REQUIRED_CONDITION = { 'cloudwatch:PutMetricData': 'cloudwatch:namespace' };

/** Trigger variants packaged by default; each is a set of stage parameters (serverless.yml `params`). */
export const VARIANTS = {
  default: {},
  msk: { sourceKind: 'msk' },
  mtls: { sourceAccess: 'mtls' },
};

/**
 * Checks every IAM policy statement in a CloudFormation template: no wildcard in any action, no NotAction,
 * `Resource: "*"` only for {@link ALLOWED_STAR_RESOURCE} actions (and PutMetricData only with its namespace
 * condition). Returns one problem string per violation, naming the resource and statement.
 *
 * @example
 * ```js
 * const problems = checkIamPolicies(JSON.parse(readFileSync('.serverless/cloudformation-template-update-stack.json', 'utf8')));
 * if (problems.length) throw new Error(problems.join('\n'));
 * ```
 */
export function checkIamPolicies(template) {
  const problems = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    for (const { where, statement } of policyStatements(logicalId, resource)) {
      const actions = toArray(statement.Action);
      if (statement.Effect !== 'Allow') continue;
      if (statement.NotAction !== undefined) problems.push(`${where}: NotAction grants everything but the listed actions; list the actions instead`);
      for (const action of actions) {
        if (typeof action !== 'string') problems.push(`${where}: action ${JSON.stringify(action)} is not a literal string`);
        else if (action.includes('*') || action.includes('?')) problems.push(`${where}: wildcard action "${action}"`);
      }
      if (statement.NotResource !== undefined) problems.push(`${where}: NotResource grants every other resource; list the resources instead`);
      const resources = toArray(statement.Resource);
      if (resources.some((r) => r === '*')) {
        for (const action of actions) {
          if (typeof action !== 'string' || action.includes('*')) continue;
          if (!(action in ALLOWED_STAR_RESOURCE)) {
            problems.push(`${where}: "${action}" on Resource "*" (not on the allow-list; scope it to named resources)`);
          } else if (REQUIRED_CONDITION[action] && !hasConditionKey(statement.Condition, REQUIRED_CONDITION[action])) {
            problems.push(`${where}: "${action}" on Resource "*" needs a ${REQUIRED_CONDITION[action]} condition`);
          }
        }
      }
    }
  }
  return problems;
}

function policyStatements(logicalId, resource) {
  const out = [];
  const add = (label, doc) => {
    toArray(doc?.Statement).forEach((statement, i) => out.push({ where: `${logicalId} ${label} statement ${statement?.Sid ?? i}`, statement }));
  };
  const p = resource?.Properties ?? {};
  switch (resource?.Type) {
    case 'AWS::IAM::Role':
    case 'AWS::IAM::User':
    case 'AWS::IAM::Group':
      toArray(p.Policies).forEach((pol) => add(`policy ${pol?.PolicyName ? JSON.stringify(pol.PolicyName) : ''}`.trim(), pol?.PolicyDocument));
      break;
    case 'AWS::IAM::Policy':
    case 'AWS::IAM::ManagedPolicy':
    case 'AWS::IAM::RolePolicy':
      add('policy', p.PolicyDocument);
      break;
    default:
  }
  return out;
}

function hasConditionKey(condition, key) {
  return Object.values(condition ?? {}).some((block) => block && typeof block === 'object' && Object.keys(block).includes(key));
}

function toArray(v) {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/**
 * Function keys declared in serverless.yml (after packaging) vs `functions/<folder>/handler.ts` on disk. A key is
 * the folder name (`sink-sqs`) or its camelCase (`cutoverWaitDrained` for `cutover-wait-drained`, the form the
 * state machine's `<Key>LambdaFunction` references use).
 */
export function checkFunctionCoverage(declared, onDisk, bundleFolders = {}) {
  const camel = (folder) => folder.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
  // A function may run another's bundle (bridge-reverse: handler .build/bridge/index.handler): it is that folder's.
  const folderOf = (key) => onDisk.find((f) => f === key || camel(f) === key) ?? onDisk.find((f) => f === bundleFolders[key]);
  const problems = [];
  for (const folder of onDisk) {
    if (!declared.some((key) => folderOf(key) === folder)) problems.push(`functions/${folder}/handler.ts exists but serverless.yml declares no function "${folder}" (or "${camel(folder)}")`);
  }
  for (const key of declared) if (!folderOf(key)) problems.push(`serverless.yml declares "${key}" but no functions/<${key} in kebab-case>/handler.ts exists`);
  return problems;
}

// Asynchronous on purpose: the validation runs inside a vitest worker, whose RPC heartbeat a blocking
// spawnSync would starve for minutes.
function run(cmd, args, { timeout = 600_000, ...options } = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeout);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolvePromise({ status: 127, stdout, stderr, error });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ status: code ?? 1, stdout, stderr: signal ? `${stderr}\n(killed by ${signal} after ${timeout} ms)` : stderr });
    });
  });
}

/** cfn-lint from a private venv, so CI needs nothing but python3. */
export async function ensureCfnLint() {
  const bin = join(CFN_LINT_VENV, 'bin', 'cfn-lint');
  if (existsSync(bin)) return bin;
  mkdirSync(dirname(CFN_LINT_VENV), { recursive: true });
  const venv = await run('python3', ['-m', 'venv', CFN_LINT_VENV]);
  if (venv.status !== 0) throw new ToolError(`python3 -m venv ${CFN_LINT_VENV} failed: ${venv.stderr.trim() || venv.error}`);
  const pip = await run(join(CFN_LINT_VENV, 'bin', 'pip'), ['install', '--quiet', `cfn-lint==${CFN_LINT_VERSION}`]);
  if (pip.status !== 0) throw new ToolError(`pip install cfn-lint==${CFN_LINT_VERSION} failed: ${pip.stderr.trim().slice(-800)}`);
  return bin;
}

class ToolError extends Error {}

function dummyAwsEnv() {
  // osls resolves credentials even for `package`; these never leave the machine (package makes no AWS call).
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_REGION: 'eu-west-1',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
}

async function packageVariant(name, params) {
  const dir = join(ROOT, '.build', 'validate', name);
  rmSync(dir, { recursive: true, force: true });
  const args = [join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js'), 'package', '--package', dir, '--stage', 'ci'];
  for (const [k, v] of Object.entries(params)) args.push(`--param=${k}=${v}`);
  const res = await run(process.execPath, args, { env: dummyAwsEnv(), timeout: 900_000 });
  const templatePath = join(dir, 'cloudformation-template-update-stack.json');
  if (res.status !== 0 || !existsSync(templatePath)) {
    return { ok: false, problems: [`osls package (${name}) failed: ${(res.stderr + res.stdout).trim().slice(-2000)}`] };
  }
  const state = JSON.parse(readFileSync(join(dir, 'serverless-state.json'), 'utf8'));
  return { ok: true, templatePath, template: JSON.parse(readFileSync(templatePath, 'utf8')), functions: Object.keys(state.service?.functions ?? {}).sort(), bundleFolders: Object.fromEntries(Object.entries(state.service?.functions ?? {}).map(([k, f]) => [k, /^\.build\/([^/]+)\//.exec(f?.handler ?? '')?.[1]])), dir };
}

async function cfnLint(bin, templatePath) {
  const args = ['--format', 'parseable', '--ignore-checks', ...Object.keys(IGNORED_CFN_LINT_RULES), '--', templatePath];
  const res = await run(bin, args, { timeout: 300_000 });
  // cfn-lint's exit code is a bit mask: 2 error, 4 warning, 8 informational. Warnings fail too: each one in a
  // generated template is either ours to fix or a framework artefact to list in IGNORED_CFN_LINT_RULES.
  const findings = res.stdout.split('\n').filter((l) => l.trim() !== '');
  if (res.status !== 0 && findings.length === 0) throw new ToolError(`cfn-lint failed to run: ${res.stderr.trim().slice(-800)}`);
  return findings.filter((l) => !/:I\d{4}:/.test(l)).map((l) => `cfn-lint: ${l.replace(`${ROOT}/`, '').slice(0, 400)}`);
}

async function validateAsl() {
  const infra = join(ROOT, 'infra');
  const files = existsSync(infra) ? readdirSync(infra).filter((f) => f.endsWith('.asl.json')).sort() : [];
  const problems = [];
  const bin = join(ROOT, 'node_modules', 'asl-validator', 'dist', 'bin', 'asl-validator.js');
  for (const f of files) {
    const res = await run(process.execPath, [bin, '--json-path', join(infra, f)]);
    if (res.status !== 0) problems.push(`asl-validator: infra/${f}: ${(res.stdout + res.stderr).trim().slice(0, 2000)}`);
  }
  return { files: files.map((f) => `infra/${f}`), problems };
}

/**
 * One validation at a time per work tree: build output (.build/) and osls's working state (.serverless/) are
 * shared, and several people (or `vitest run` next to a manual run) may validate at once. A lock left by a
 * process that no longer exists is taken over.
 */
async function withLock(fn, { waitMs = 20 * 60_000 } = {}) {
  const lock = join(ROOT, '.build', 'validate.lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readFileSafe(lock), 10);
      if (!Number.isInteger(holder) || !isAlive(holder)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new ToolError(`another validation (pid ${holder}) holds ${lock} for more than ${waitMs} ms`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    return await fn();
  } finally {
    if (readFileSafe(lock) === String(process.pid)) rmSync(lock, { force: true });
  }
}

function readFileSafe(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Runs every check; returns a report (never throws for a failed check, only for a tool that cannot run). */
export function validateDeploy(options = {}) {
  return withLock(() => validateUnlocked(options));
}

async function validateUnlocked({ skipBuild = false, variants = Object.keys(VARIANTS) } = {}) {
  const started = Date.now();
  const report = { ok: true, steps: [], problems: [], variants: {}, aslFiles: [], timingsMs: {} };
  const step = (name, t0) => {
    report.timingsMs[name] = Date.now() - t0;
  };

  let t0 = Date.now();
  if (!skipBuild) {
    const build = await run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--stage', 'ci'], { timeout: 600_000 });
    if (build.status !== 0) throw new ToolError(`npm run build failed: ${(build.stderr + build.stdout).trim().slice(-2000)}`);
    report.steps.push('build');
  }
  step('build', t0);

  const functionsDir = join(ROOT, 'functions');
  const onDisk = existsSync(functionsDir) ? readdirSync(functionsDir).filter((n) => existsSync(join(functionsDir, n, 'handler.ts'))).sort() : [];
  for (const name of onDisk) {
    if (!existsSync(join(ROOT, '.build', name, 'index.js'))) report.problems.push(`no bundle .build/${name}/index.js (run npm run build)`);
  }

  t0 = Date.now();
  const lint = await ensureCfnLint();
  step('cfn-lint install', t0);

  for (const variant of variants) {
    if (!VARIANTS[variant]) throw new ToolError(`unknown variant "${variant}" (expected one of ${Object.keys(VARIANTS).join(', ')})`);
  }
  for (const [i, variant] of variants.entries()) {
    // One at a time: osls keeps working state in .serverless/ even with --package, so parallel runs collide.
    t0 = Date.now();
    const pkg = await packageVariant(variant, VARIANTS[variant]);
    step(`package ${variant}`, t0);
    const v = { params: VARIANTS[variant], functions: pkg.functions ?? [], resources: 0, problems: [] };
    report.variants[variant] = v;
    if (!pkg.ok) {
      v.problems.push(...pkg.problems);
      continue;
    }
    v.resources = Object.keys(pkg.template.Resources ?? {}).length;
    if (i === 0) v.problems.push(...checkFunctionCoverage(pkg.functions, onDisk, pkg.bundleFolders));
    t0 = Date.now();
    v.problems.push(...(await cfnLint(lint, pkg.templatePath)));
    step(`cfn-lint ${variant}`, t0);
    v.problems.push(...checkIamPolicies(pkg.template).map((p) => `IAM: ${p}`));
  }

  t0 = Date.now();
  const asl = await validateAsl();
  step('asl-validator', t0);
  report.aslFiles = asl.files;
  report.problems.push(...asl.problems);
  for (const [name, v] of Object.entries(report.variants)) report.problems.push(...v.problems.map((p) => `[${name}] ${p}`));
  report.ok = report.problems.length === 0;
  report.timingsMs.total = Date.now() - started;
  return report;
}

async function main() {
  const { values } = parseArgs({
    options: { 'skip-build': { type: 'boolean', default: false }, variants: { type: 'string' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  try {
    const report = await validateDeploy({
      skipBuild: values['skip-build'],
      ...(values.variants ? { variants: values.variants.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    });
    if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      for (const [name, v] of Object.entries(report.variants)) process.stdout.write(`package ${name}: ${v.functions.length} functions, ${v.resources} resources\n`);
      process.stdout.write(`asl-validator: ${report.aslFiles.length ? report.aslFiles.join(', ') : 'no infra/*.asl.json'}\n`);
      for (const p of report.problems) process.stdout.write(`FAIL ${p}\n`);
      process.stdout.write(report.ok ? `deploy validation passed (${report.timingsMs.total} ms)\n` : `deploy validation failed: ${report.problems.length} problem(s)\n`);
    }
    process.exitCode = report.ok ? 0 : 1;
  } catch (err) {
    process.stderr.write(`validate-deploy: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 3;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
