import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createKafkaClient, withKafkaAdmin, type KafkaAdmin, type KafkaAuth, type StructuredLogger } from '../../kafka';
import { LocalEnvironmentError } from '../../errors';
import type { ClusterName, LocalClusterInfo, LocalClustersInfo } from '../types';
import {
  brokerJvmOptions,
  brokerProperties,
  listenerAddresses,
  newClusterRecord,
  scramFormatArgument,
  warmupGroupIds,
  type ClusterRecord,
} from './brokerConfig';
import {
  ensureKafkaDistribution,
  kafkaClasspath,
  lastLines,
  loggingConfig,
  loggingSystemProperties,
  requireJava,
  runKafkaTool,
} from './kafkaDist';
import { isOurProcess, isPortFree, readPid, sleep, stopProcess, withLock } from './processes';
import { CLUSTER_NAMES, type ClusterPorts, type LocalSettings } from './settings';

/** Files of one cluster under the state dir. */
function clusterPaths(settings: LocalSettings, name: ClusterName) {
  const dir = join(settings.stateDir, name);
  return {
    dir,
    data: join(dir, 'data'),
    record: join(dir, 'cluster.json'),
    properties: join(dir, 'server.properties'),
    logConfig: join(dir, 'log4j.properties'),
    log: join(dir, 'broker.log'),
    pid: join(dir, 'broker.pid'),
    // Appears in the broker's command line, so a pid is only ever taken for ours.
    marker: `-Dkbridge.cluster=${dir}`,
  };
}

function lockFile(settings: LocalSettings): string {
  return join(settings.stateDir, '.lock');
}

export type Progress = (line: string) => void;

export interface LocalUpResult {
  info: LocalClustersInfo;
  /** Clusters this call started (a test run's teardown stops only these). */
  started: ClusterName[];
  /** Clusters that were already running and healthy. */
  reused: ClusterName[];
}

/**
 * Bring up (or reuse) the two local KRaft clusters `source` and `target` and wait until each accepts
 * requests on both its PLAINTEXT and its SCRAM-SHA-512 listener. Idempotent: healthy running clusters are
 * reused as they are. Fetches the Kafka jars on first use.
 *
 * @example
 * ```ts
 * const { info, started } = await localUp(resolveLocalSettings(process.env));
 * info.target.saslScram512.bootstrapServers; // "127.0.0.1:29093"
 * ```
 */
export async function localUp(settings: LocalSettings, progress: Progress = () => {}): Promise<LocalUpResult> {
  await requireJava();
  await mkdir(settings.stateDir, { recursive: true });
  return withLock(lockFile(settings), async () => {
    const results = await Promise.all(CLUSTER_NAMES.map((name) => ensureCluster(settings, name, progress)));
    const started = CLUSTER_NAMES.filter((_, i) => results[i]?.started === true);
    const reused = CLUSTER_NAMES.filter((_, i) => results[i]?.started === false);
    const [source, target] = results;
    if (!source || !target) throw new Error('unreachable: two clusters');
    if (source.record.kafkaVersion !== target.record.kafkaVersion) {
      throw new LocalEnvironmentError(
        `source runs Kafka ${source.record.kafkaVersion} but target runs ${target.record.kafkaVersion}; run "kbridge local down" and up again`,
      );
    }
    return {
      info: { source: clusterInfo(source.record), target: clusterInfo(target.record), kafkaVersion: source.record.kafkaVersion },
      started,
      reused,
    };
  });
}

/**
 * Stop both clusters (SIGTERM, then SIGKILL after a grace period) and remove their data, logs and credentials.
 *
 * @example
 * ```ts
 * await localDown(settings); // the next localUp formats fresh clusters
 * ```
 */
export async function localDown(settings: LocalSettings, progress: Progress = () => {}): Promise<void> {
  if (!existsSync(settings.stateDir)) return;
  await withLock(lockFile(settings), async () => {
    await Promise.all(
      CLUSTER_NAMES.map(async (name) => {
        const outcome = await stopBrokerUnlocked(settings, name);
        progress(`${name}: ${outcome}`);
        await rm(clusterPaths(settings, name).dir, { recursive: true, force: true });
      }),
    );
  });
}

/** Stop one broker and keep its data (a later {@link startBroker} resumes where it was). */
export async function stopBroker(settings: LocalSettings, name: ClusterName): Promise<void> {
  await withLock(lockFile(settings), async () => {
    await stopBrokerUnlocked(settings, name);
  });
}

/** Start one broker again on its existing data (or fresh, if it never ran) and wait until it is healthy. */
export async function startBroker(settings: LocalSettings, name: ClusterName, progress: Progress = () => {}): Promise<LocalClusterInfo> {
  await mkdir(settings.stateDir, { recursive: true });
  return withLock(lockFile(settings), async () => clusterInfo((await ensureCluster(settings, name, progress)).record));
}

/**
 * Restart one broker, keeping its data: tests use it to show the bridge survives the target going away
 * mid-stream.
 *
 * @example
 * ```ts
 * await restartBroker(settings, 'target');
 * ```
 */
export async function restartBroker(settings: LocalSettings, name: ClusterName, progress: Progress = () => {}): Promise<LocalClusterInfo> {
  return withLock(lockFile(settings), async () => {
    await stopBrokerUnlocked(settings, name);
    return clusterInfo((await ensureCluster(settings, name, progress)).record);
  });
}

export interface ClusterStatus {
  name: ClusterName;
  state: 'running' | 'stopped' | 'unhealthy';
  pid?: number;
  kafkaVersion?: string;
  bootstrapServers?: string;
  saslScram512BootstrapServers?: string;
  logFile: string;
}

export interface LocalStatus {
  stateDir: string;
  source: ClusterStatus;
  target: ClusterStatus;
}

/**
 * Report each cluster as running (process alive and answering), unhealthy (process alive, not answering)
 * or stopped, with its addresses. Never prints credentials.
 *
 * @example
 * ```ts
 * (await localStatus(settings)).source.state; // "running"
 * ```
 */
export async function localStatus(settings: LocalSettings): Promise<LocalStatus> {
  const [source, target] = await Promise.all(CLUSTER_NAMES.map((name) => clusterStatus(settings, name)));
  if (!source || !target) throw new Error('unreachable: two clusters');
  return { stateDir: settings.stateDir, source, target };
}

/** The connection info of running clusters without starting anything, or undefined when either is not up. */
export async function runningClustersInfo(settings: LocalSettings): Promise<LocalClustersInfo | undefined> {
  const status = await localStatus(settings);
  if (status.source.state !== 'running' || status.target.state !== 'running') return undefined;
  const source = await readRecord(settings, 'source');
  const target = await readRecord(settings, 'target');
  if (!source || !target) return undefined;
  return { source: clusterInfo(source), target: clusterInfo(target), kafkaVersion: source.kafkaVersion };
}

async function clusterStatus(settings: LocalSettings, name: ClusterName): Promise<ClusterStatus> {
  const paths = clusterPaths(settings, name);
  const record = await readRecord(settings, name);
  const pid = readPid(paths.pid);
  const base = { name, logFile: paths.log };
  if (!record || pid === undefined || !isOurProcess(pid, paths.marker)) return { ...base, state: 'stopped' };
  const addresses = listenerAddresses(record.ports);
  const healthy = await probeCluster(record, 3_000).then(
    () => true,
    () => false,
  );
  return {
    ...base,
    state: healthy ? 'running' : 'unhealthy',
    pid,
    kafkaVersion: record.kafkaVersion,
    bootstrapServers: addresses.plaintext,
    saslScram512BootstrapServers: addresses.sasl,
  };
}

function clusterInfo(record: ClusterRecord): LocalClusterInfo {
  const addresses = listenerAddresses(record.ports);
  return {
    bootstrapServers: addresses.plaintext,
    saslScram512: { bootstrapServers: addresses.sasl, username: record.username, password: record.password },
  };
}

async function readRecord(settings: LocalSettings, name: ClusterName): Promise<ClusterRecord | undefined> {
  try {
    return JSON.parse(await readFile(clusterPaths(settings, name).record, 'utf8')) as ClusterRecord;
  } catch {
    return undefined;
  }
}

async function stopBrokerUnlocked(settings: LocalSettings, name: ClusterName): Promise<string> {
  const paths = clusterPaths(settings, name);
  const pid = readPid(paths.pid);
  if (pid === undefined || !isOurProcess(pid, paths.marker)) {
    await rm(paths.pid, { force: true });
    return 'not running';
  }
  const outcome = await stopProcess(pid);
  await rm(paths.pid, { force: true });
  return `${outcome} (pid ${pid})`;
}

function samePorts(a: ClusterPorts, b: ClusterPorts): boolean {
  return a.plaintext === b.plaintext && a.sasl === b.sasl && a.controller === b.controller;
}

/** Reuse, or format and start, one cluster; resolves once it answers on both listeners. */
async function ensureCluster(
  settings: LocalSettings,
  name: ClusterName,
  progress: Progress,
): Promise<{ record: ClusterRecord; started: boolean }> {
  const paths = clusterPaths(settings, name);
  let record = await readRecord(settings, name);
  const pid = readPid(paths.pid);
  if (record && pid !== undefined && isOurProcess(pid, paths.marker)) {
    if (record.kafkaVersion !== settings.kafkaVersion) {
      throw new LocalEnvironmentError(
        `The local ${name} cluster runs Kafka ${record.kafkaVersion}, not the requested ${settings.kafkaVersion} ` +
          `(KBRIDGE_KAFKA_VERSION); run "kbridge local down" first, or use another state dir with KBRIDGE_HOME and other ports`,
        { cluster: name },
      );
    }
    // Running: it may still be starting (another process launched it), so give it the usual time.
    await waitHealthy(record, pid, paths, name);
    progress(`${name}: reusing running broker (pid ${pid})`);
    return { record, started: false };
  }

  if (record && (record.kafkaVersion !== settings.kafkaVersion || !samePorts(record.ports, settings.ports[name]))) {
    progress(`${name}: Kafka version or ports changed; formatting a fresh cluster`);
    await rm(paths.dir, { recursive: true, force: true });
    record = undefined;
  }
  await assertPortsFree(settings, name);

  const dist = await ensureKafkaDistribution(settings.cacheDir, settings.kafkaVersion, progress);
  await mkdir(paths.dir, { recursive: true });
  await writeFile(paths.properties, brokerProperties({ ports: settings.ports[name], dataDir: paths.data }));
  await writeFile(paths.logConfig, loggingConfig(settings.kafkaVersion, 'INFO', 'stdout'));

  if (!record || !existsSync(join(paths.data, 'meta.properties'))) {
    record = newClusterRecord(name, settings.kafkaVersion, settings.ports[name]);
    await rm(paths.data, { recursive: true, force: true });
    await writeFile(paths.record, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    progress(`${name}: formatting KRaft storage with SCRAM-SHA-512 user "${record.username}"`);
    const format = await runKafkaTool(settings.cacheDir, settings.kafkaVersion, 'kafka.tools.StorageTool', [
      'format',
      '-t',
      record.clusterId,
      '-c',
      paths.properties,
      '--add-scram',
      scramFormatArgument(record),
    ]);
    if (format.code !== 0) {
      const output = lastLines(format.output.split(record.password).join('***'), 20);
      throw new LocalEnvironmentError(`Formatting the ${name} cluster's storage failed (exit ${format.code}):\n${output}`, {
        cluster: name,
      });
    }
  }

  const newPid = launchBroker(settings, name, dist.libDir);
  await writeFile(paths.pid, `${newPid}\n`);
  progress(`${name}: broker started (pid ${newPid}, Kafka ${settings.kafkaVersion}), waiting until it answers`);
  await waitHealthy(record, newPid, paths, name);
  progress(`${name}: ready on ${listenerAddresses(record.ports).plaintext} (PLAINTEXT) and ${listenerAddresses(record.ports).sasl} (SCRAM-SHA-512)`);
  return { record, started: true };
}

async function assertPortsFree(settings: LocalSettings, name: ClusterName): Promise<void> {
  const ports = settings.ports[name];
  const variable = name === 'source' ? 'KBRIDGE_SOURCE_PORT' : 'KBRIDGE_TARGET_PORT';
  for (const [listener, port] of Object.entries(ports) as Array<[keyof ClusterPorts, number]>) {
    if (!(await isPortFree(port))) {
      throw new LocalEnvironmentError(
        `Port ${port} (the ${name} cluster's ${listener} listener) is already in use by another process. ` +
          `Stop that process, or move the ${name} cluster with ${variable}=<base port> (it uses base, base+1, base+2).`,
        { cluster: name, port, field: variable },
      );
    }
  }
}

function launchBroker(settings: LocalSettings, name: ClusterName, libDir: string): number {
  const paths = clusterPaths(settings, name);
  const log = openSync(paths.log, 'a');
  try {
    const child = spawn(
      'java',
      [
        ...brokerJvmOptions(settings.brokerHeap),
        ...loggingSystemProperties(settings.kafkaVersion, paths.logConfig),
        `-Dkafka.logs.dir=${paths.dir}`,
        paths.marker,
        '-cp',
        kafkaClasspath(settings.cacheDir, settings.kafkaVersion),
        'kafka.Kafka',
        paths.properties,
      ],
      // Detached in its own process group with no pipes to us, so the broker outlives the CLI.
      { detached: true, stdio: ['ignore', log, log], cwd: paths.dir },
    );
    child.unref();
    if (child.pid === undefined) throw new LocalEnvironmentError(`Could not start java for the ${name} broker (lib ${libDir})`, { cluster: name });
    return child.pid;
  } finally {
    closeSync(log);
  }
}

const HEALTH_TIMEOUT_MS = 120_000;

async function waitHealthy(record: ClusterRecord, pid: number, paths: { log: string; marker: string }, name: ClusterName): Promise<void> {
  const logFile = paths.log;
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let lastError: unknown;
  for (;;) {
    if (!isOurProcess(pid, paths.marker)) {
      throw new LocalEnvironmentError(
        `The ${name} broker (pid ${pid}) exited during startup. Last lines of ${logFile}:\n${tail(logFile, 20)}`,
        { cluster: name },
      );
    }
    try {
      await probeCluster(record, 5_000);
      await probeGroupCoordinator(record, 5_000);
      return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new LocalEnvironmentError(
        `The ${name} broker (pid ${pid}) did not accept requests within ${HEALTH_TIMEOUT_MS / 1000} s ` +
          `(last error: ${lastError instanceof Error ? lastError.message : String(lastError)}). Last lines of ${logFile}:\n${tail(logFile, 20)}`,
        { cluster: name, cause: lastError },
      );
    }
    await sleep(500);
  }
}

function tail(file: string, n: number): string {
  try {
    return lastLines(readFileSync(file, 'utf8'), n);
  } catch {
    return '(no log)';
  }
}

/**
 * One metadata round trip over each listener: PLAINTEXT without credentials and SASL_PLAINTEXT with the
 * SCRAM user. Rejects on the first failure.
 */
async function probeCluster(record: ClusterRecord, timeoutMs: number): Promise<void> {
  const addresses = listenerAddresses(record.ports);
  const sasl: KafkaAuth = { type: 'sasl-inline', mechanism: 'scram-sha-512', username: record.username, password: record.password };
  for (const [broker, auth] of [
    [addresses.plaintext, { type: 'none' }],
    [addresses.sasl, sasl],
  ] as const) {
    await withProbeAdmin(broker, timeoutMs, auth, async (admin) => {
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error(`${broker} reported no brokers yet`);
    });
  }
}

/**
 * One OffsetFetch per `__consumer_offsets` partition, through a group id that hashes to it; rejects until every
 * partition answers. A broker answers metadata before that topic exists (the first FindCoordinator creates it)
 * and loads its partitions asynchronously; meanwhile Kafka 4's group coordinator answers
 * COORDINATOR_LOAD_IN_PROGRESS / NOT_COORDINATOR, which a consumer meets as a crash and restart that
 * re-reads what it had not committed. Waiting here keeps that out of the first test or rehearsal on a new cluster.
 */
async function probeGroupCoordinator(record: ClusterRecord, timeoutMs: number): Promise<void> {
  await withProbeAdmin(listenerAddresses(record.ports).plaintext, timeoutMs, { type: 'none' }, async (admin) => {
    // The coordinator lookup needs the broker list.
    await admin.describeCluster();
    for (const groupId of warmupGroupIds()) {
      await admin.fetchCommittedOffsets(groupId).catch((err: unknown) => {
        throw new Error(`group coordinator for ${groupId} not ready: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      });
    }
  });
}

const SILENT: StructuredLogger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

/** Run `fn` on a silent admin for health probes (no retries, short timeouts), and always close it. */
async function withProbeAdmin(broker: string, timeoutMs: number, auth: KafkaAuth, fn: (admin: KafkaAdmin) => Promise<void>): Promise<void> {
  const kafka = await createKafkaClient(
    { name: 'local-probe', clientId: 'kbridge-local-probe', bootstrapServers: [broker], auth, connectionTimeoutMs: Math.min(timeoutMs, 3_000), requestTimeoutMs: timeoutMs },
    { retries: 0, logLevel: 'nothing', logger: SILENT },
  );
  await withKafkaAdmin(kafka, fn);
}
