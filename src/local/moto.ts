import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalEnvironmentError } from '../errors';
import { lastLines, runCommand } from './clusters/kafkaDist';
import { isOurProcess, isPortFree, readPid, sleep, stopProcess, withLock } from './clusters/processes';
import { MOTO_VERSION, type LocalSettings } from './clusters/settings';
import type { LocalAwsInfo } from './types';

/** The region every local AWS call uses; moto keeps separate state per region. */
export const LOCAL_AWS_REGION = 'us-east-1';

/**
 * moto's extras for the services this project calls. `server` brings the HTTP front end (flask/werkzeug);
 * `awslambda` and `stepfunctions` are the names moto gives those services' extras.
 */
export const MOTO_EXTRAS = [
  'server',
  'sqs',
  'sns',
  'events',
  'kinesis',
  's3',
  'dynamodb',
  'cloudwatch',
  'secretsmanager',
  'ssm',
  'awslambda',
  'stepfunctions',
  'kafka',
] as const;

/** The pip requirement that pins moto, e.g. `moto[server,sqs,...]==5.1.22`. */
export function motoRequirement(version = MOTO_VERSION): string {
  return `moto[${MOTO_EXTRAS.join(',')}]==${version}`;
}

function motoPaths(settings: LocalSettings) {
  const venv = join(settings.cacheDir, 'moto-venv');
  const dir = join(settings.stateDir, 'moto');
  return {
    venv,
    marker: join(venv, `.kbridge-moto-${MOTO_VERSION}`),
    server: join(venv, 'bin', 'moto_server'),
    dir,
    pid: join(dir, 'moto.pid'),
    log: join(dir, 'moto.log'),
  };
}

/**
 * Create the moto virtualenv (once) and install the pinned moto into it. A marker written after a
 * successful install makes later calls free; a failed or interrupted install is redone.
 *
 * @example
 * ```ts
 * await ensureMotoInstalled(resolveLocalSettings(process.env));
 * ```
 */
export async function ensureMotoInstalled(settings: LocalSettings, progress: (line: string) => void = () => {}): Promise<{ installed: boolean }> {
  const paths = motoPaths(settings);
  if (existsSync(paths.marker)) return { installed: false };
  await mkdir(settings.cacheDir, { recursive: true });
  return withLock(join(settings.cacheDir, '.moto-install.lock'), async () => {
    if (existsSync(paths.marker)) return { installed: false };
    const python = await findPython();
    progress(`creating the moto virtualenv in ${paths.venv} and installing ${motoRequirement()}`);
    await rm(paths.venv, { recursive: true, force: true });
    const venv = await runCommand(python, ['-m', 'venv', paths.venv]);
    if (venv.code !== 0) {
      throw new LocalEnvironmentError(
        `"${python} -m venv" failed (exit ${venv.code}); on Debian/Ubuntu install python3-venv. Output:\n${lastLines(venv.output, 20)}`,
      );
    }
    const pip = await runCommand(join(paths.venv, 'bin', 'pip'), [
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-input',
      motoRequirement(),
    ]);
    if (pip.code !== 0) {
      throw new LocalEnvironmentError(`Installing ${motoRequirement()} failed (pip exit ${pip.code}). Output:\n${lastLines(pip.output, 20)}`);
    }
    await writeFile(paths.marker, `${new Date().toISOString()}\n`);
    return { installed: true };
  });
}

async function findPython(): Promise<string> {
  for (const candidate of ['python3', 'python']) {
    try {
      const r = await runCommand(candidate, ['-c', 'import sys; print(sys.version_info >= (3, 9))']);
      if (r.code === 0 && r.stdout.trim() === 'True') return candidate;
    } catch {
      // Not on the PATH; try the next name.
    }
  }
  throw new LocalEnvironmentError('Python 3.9 or newer (python3) is needed for the local AWS server (moto); install it (apt-get install python3 python3-venv)');
}

export interface MotoResult {
  aws: LocalAwsInfo;
  /** True when this call started the server (a test run's teardown stops only what it started). */
  started: boolean;
}

/**
 * True when a moto server answers on `endpoint`. GET /moto-api/ (the dashboard page) is moto-specific and
 * cheap; /moto-api/data.json serialises every resource and takes seconds once tests have created many.
 */
export async function motoAnswers(endpoint: string, timeoutMs = 5_000): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Start the local moto server on `127.0.0.1:<motoPort>` (installing it first if needed), or reuse one that
 * already answers there. Resolves once it answers HTTP.
 *
 * @example
 * ```ts
 * const { aws } = await startMoto(settings);
 * new SQSClient({ region: aws.region, endpoint: aws.endpoint });
 * ```
 */
export async function startMoto(settings: LocalSettings, progress: (line: string) => void = () => {}): Promise<MotoResult> {
  const endpoint = `http://127.0.0.1:${settings.motoPort}`;
  const aws: LocalAwsInfo = { endpoint, region: LOCAL_AWS_REGION };
  if (await motoAnswers(endpoint)) return { aws, started: false };
  if (!(await isPortFree(settings.motoPort))) {
    // Something listens but did not answer in time: a moto busy serving a test run, or a stranger.
    if (await waitForMoto(endpoint, 30_000)) return { aws, started: false };
    throw new LocalEnvironmentError(
      `Port ${settings.motoPort} is taken by a process that does not answer as moto (GET ${endpoint}/moto-api/); ` +
        'stop it or choose another port with KBRIDGE_MOTO_PORT',
      { port: settings.motoPort, field: 'KBRIDGE_MOTO_PORT' },
    );
  }
  await ensureMotoInstalled(settings, progress);
  const paths = motoPaths(settings);
  await mkdir(paths.dir, { recursive: true });
  return withLock(join(settings.stateDir, '.moto.lock'), async () => {
    if (await motoAnswers(endpoint)) return { aws, started: false };
    const log = openSync(paths.log, 'a');
    let pid: number | undefined;
    try {
      const child = spawn(paths.server, ['-H', '127.0.0.1', '-p', String(settings.motoPort)], {
        detached: true,
        stdio: ['ignore', log, log],
        cwd: paths.dir,
      });
      child.unref();
      pid = child.pid;
    } finally {
      closeSync(log);
    }
    if (pid === undefined) throw new LocalEnvironmentError(`Could not start ${paths.server}`);
    await writeFile(paths.pid, `${pid}\n`);
    const deadline = Date.now() + 60_000;
    while (!(await motoAnswers(endpoint))) {
      if (!isOurProcess(pid, 'moto_server')) {
        throw new LocalEnvironmentError(
          `moto_server exited during startup (is port ${settings.motoPort} taken? set KBRIDGE_MOTO_PORT). Last lines of ${paths.log}:\n${tailFile(paths.log)}`,
          { port: settings.motoPort },
        );
      }
      if (Date.now() > deadline) {
        throw new LocalEnvironmentError(`moto_server did not answer on ${endpoint} within 60 s. Last lines of ${paths.log}:\n${tailFile(paths.log)}`);
      }
      await sleep(200);
    }
    progress(`moto: listening on ${endpoint} (pid ${pid})`);
    return { aws, started: true };
  });
}

/** Stop the moto server this state dir started (a server started by someone else is left alone). */
export async function stopMoto(settings: LocalSettings): Promise<'stopped' | 'not-running'> {
  const paths = motoPaths(settings);
  const pid = readPid(paths.pid);
  await rm(paths.pid, { force: true });
  if (pid === undefined || !isOurProcess(pid, 'moto_server')) return 'not-running';
  await stopProcess(pid, 5_000);
  return 'stopped';
}

/** Whether the local moto server answers, and its pid when this state dir started it. */
export async function motoStatus(settings: LocalSettings): Promise<{ state: 'running' | 'stopped'; endpoint: string; pid?: number }> {
  const endpoint = `http://127.0.0.1:${settings.motoPort}`;
  const running = await motoAnswers(endpoint);
  const pid = readPid(motoPaths(settings).pid);
  return { state: running ? 'running' : 'stopped', endpoint, ...(running && pid !== undefined ? { pid } : {}) };
}

async function waitForMoto(endpoint: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await motoAnswers(endpoint)) return true;
    await sleep(500);
  }
  return false;
}

function tailFile(file: string): string {
  try {
    return lastLines(readFileSync(file, 'utf8'), 20);
  } catch {
    return '(no log)';
  }
}
