import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalEnvironmentError } from '../../errors';
import { withLock } from './processes';

/** Where one Kafka version's jars live: `<cacheDir>/kafka-<version>/lib`. */
export function kafkaLibDir(cacheDir: string, version: string): string {
  return join(cacheDir, `kafka-${version}`, 'lib');
}

const COMPLETE_MARKER = '.kbridge-fetch-complete';

interface MavenArtifact {
  groupId: string;
  artifactId: string;
  version: string;
}

/** Kafka's 3.x line logs through slf4j 1.7 + reload4j; 4.x moved to log4j2. */
export function isKafka4(version: string): boolean {
  return Number(version.split('.')[0]) >= 4;
}

/**
 * The artifacts that make a runnable Kafka distribution: the broker (`kafka_2.13`, which brings the server
 * modules), the tools (`kafka-tools`: ConsumerGroupCommand, ProducerPerformance…), the clients, MirrorMaker 2
 * (`connect-mirror` + `connect-runtime`), and a logging backend, which Kafka's poms leave to the distribution.
 *
 * @example
 * ```ts
 * kafkaArtifacts('3.9.2').map((a) => a.artifactId); // ['kafka_2.13', 'kafka-tools', ..., 'slf4j-reload4j']
 * ```
 */
export function kafkaArtifacts(version: string): MavenArtifact[] {
  const kafka = (artifactId: string): MavenArtifact => ({ groupId: 'org.apache.kafka', artifactId, version });
  const base = ['kafka_2.13', 'kafka-tools', 'kafka-clients', 'connect-mirror', 'connect-runtime'].map(kafka);
  const logging: MavenArtifact[] = isKafka4(version)
    ? [
        { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core', version: '2.24.3' },
        // Kafka 4.0 and 4.1 still build against slf4j-api 1.7.36, whose log4j2 binding is log4j-slf4j-impl (not -slf4j2-impl).
        { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j-impl', version: '2.24.3' },
      ]
    : [
        { groupId: 'ch.qos.reload4j', artifactId: 'reload4j', version: '1.2.25' },
        { groupId: 'org.slf4j', artifactId: 'slf4j-reload4j', version: '1.7.36' },
      ];
  return [...base, ...logging];
}

/**
 * A minimal pom whose runtime dependency closure is the Kafka distribution of `version`.
 *
 * @example
 * ```ts
 * await writeFile('pom.xml', kafkaPom('3.9.2'));
 * ```
 */
export function kafkaPom(version: string): string {
  const deps = kafkaArtifacts(version)
    .map(
      (a) =>
        `    <dependency><groupId>${a.groupId}</groupId><artifactId>${a.artifactId}</artifactId><version>${a.version}</version></dependency>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.kbridge.local</groupId>
  <artifactId>kafka-dist</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`;
}

export interface FetchResult {
  libDir: string;
  /** False when the cache already held a complete fetch. */
  fetched: boolean;
  jarCount: number;
}

/**
 * Make sure the jars of Kafka `version` are in the cache, resolving them from Maven Central once.
 * A marker file is written only after the copy completed, so an interrupted fetch is redone; the jars are
 * copied into a temporary directory and renamed into place, so concurrent callers never see half a lib/.
 *
 * @example
 * ```ts
 * const { libDir } = await ensureKafkaDistribution('/root/.cache/kbridge', '3.9.2');
 * ```
 */
export async function ensureKafkaDistribution(
  cacheDir: string,
  version: string,
  onProgress: (line: string) => void = () => {},
): Promise<FetchResult> {
  const libDir = kafkaLibDir(cacheDir, version);
  const home = join(cacheDir, `kafka-${version}`);
  if (existsSync(join(home, COMPLETE_MARKER))) {
    return { libDir, fetched: false, jarCount: (await readdir(libDir)).length };
  }
  await requireCommand('mvn', ['-v'], 'Maven (mvn) is needed once to fetch the Kafka jars from Maven Central; install it (apt-get install maven)');
  await mkdir(home, { recursive: true });
  // One fetch at a time per version, across processes too: two clusters (or two test runs) starting on an
  // empty cache would otherwise each run Maven, doubling the cold start on a 2-core machine.
  const pending = fetchesInProgress.get(libDir) ?? withLock(join(home, '.fetch.lock'), () => fetchUnlocked(home, libDir, version, onProgress));
  fetchesInProgress.set(libDir, pending);
  try {
    return await pending;
  } finally {
    fetchesInProgress.delete(libDir);
  }
}

/** Fetches running in this process, by lib dir (the file lock is per process, so callers here share one). */
const fetchesInProgress = new Map<string, Promise<FetchResult>>();

async function fetchUnlocked(home: string, libDir: string, version: string, onProgress: (line: string) => void): Promise<FetchResult> {
  if (existsSync(join(home, COMPLETE_MARKER))) {
    return { libDir, fetched: false, jarCount: (await readdir(libDir)).length };
  }
  const work = join(home, `fetch-${process.pid}-${Date.now()}`);
  await mkdir(work, { recursive: true });
  try {
    await writeFile(join(work, 'pom.xml'), kafkaPom(version));
    onProgress(`fetching Kafka ${version} jars from Maven Central into ${libDir}`);
    const out = join(work, 'lib');
    const result = await runCommand(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        join(work, 'pom.xml'),
        'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
        `-DoutputDirectory=${out}`,
        '-DincludeScope=runtime',
      ],
      work,
    );
    if (result.code !== 0) {
      throw new LocalEnvironmentError(
        `Fetching Kafka ${version} from Maven Central failed (mvn exit ${result.code}); is the version a real release? Last output:\n${lastLines(result.output, 20)}`,
        { kafkaVersion: version },
      );
    }
    await rm(libDir, { recursive: true, force: true });
    await rename(out, libDir);
    await writeFile(join(home, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
    return { libDir, fetched: true, jarCount: (await readdir(libDir)).length };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The Java classpath of a fetched Kafka version (a `lib/*` wildcard, which `java -cp` expands).
 *
 * @example
 * ```ts
 * spawn('java', ['-cp', kafkaClasspath(cacheDir, '3.9.2'), 'kafka.Kafka', 'server.properties']);
 * ```
 */
export function kafkaClasspath(cacheDir: string, version: string): string {
  return `${kafkaLibDir(cacheDir, version)}/*`;
}

/** JVM flags for short-lived tools: small heap, C1 only, because they run for seconds on 2 shared cores. */
export const TOOL_JVM_OPTS = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];

export interface ToolResult {
  code: number;
  /** stdout and stderr interleaved. */
  output: string;
  stdout: string;
}

/**
 * Run one of Kafka's own command-line tools by main class with the cached distribution on the classpath,
 * e.g. `org.apache.kafka.tools.ConsumerGroupCommand` or `org.apache.kafka.connect.mirror.MirrorMaker`.
 * Resolves with the exit code and output; it does not throw on a non-zero exit (callers decide).
 * Logging goes to stderr at WARN so stdout stays the tool's own output.
 *
 * @example
 * ```ts
 * const r = await runKafkaTool(cacheDir, '3.9.2', 'org.apache.kafka.tools.ConsumerGroupCommand',
 *   ['--bootstrap-server', '127.0.0.1:19092', '--list']);
 * ```
 */
export async function runKafkaTool(
  cacheDir: string,
  version: string,
  mainClass: string,
  args: string[],
  options: { jvmOpts?: string[]; cwd?: string } = {},
): Promise<ToolResult> {
  await requireJava();
  const logConfig = await ensureToolLogConfig(cacheDir, version);
  return runCommand(
    'java',
    [...TOOL_JVM_OPTS, ...(options.jvmOpts ?? []), ...logConfig, '-cp', kafkaClasspath(cacheDir, version), mainClass, ...args],
    options.cwd,
  );
}

/** System properties pointing the logging backend of `version` at a config file. */
export function loggingSystemProperties(version: string, configFile: string): string[] {
  return isKafka4(version) ? [`-Dlog4j2.configurationFile=${configFile}`] : [`-Dlog4j.configuration=file:${configFile}`];
}

/**
 * A logging configuration for the backend of `version`: everything at `rootLevel` to the console
 * (`stderr` for tools, `stdout` for brokers, whose stdout is redirected to their log file).
 */
export function loggingConfig(version: string, rootLevel: 'INFO' | 'WARN', target: 'stdout' | 'stderr'): string {
  if (isKafka4(version)) {
    return [
      'status = warn',
      'appender.console.type = Console',
      'appender.console.name = CONSOLE',
      `appender.console.target = ${target === 'stdout' ? 'SYSTEM_OUT' : 'SYSTEM_ERR'}`,
      'appender.console.layout.type = PatternLayout',
      'appender.console.layout.pattern = [%d] %p %m (%c)%n',
      `rootLogger.level = ${rootLevel}`,
      'rootLogger.appenderRef.console.ref = CONSOLE',
      // The request logger and the controller's state-change chatter drown the lines that explain a failure.
      'logger.request.name = kafka.request.logger',
      'logger.request.level = WARN',
      'logger.state.name = state.change.logger',
      'logger.state.level = WARN',
      '',
    ].join('\n');
  }
  return [
    `log4j.rootLogger=${rootLevel}, console`,
    'log4j.appender.console=org.apache.log4j.ConsoleAppender',
    `log4j.appender.console.Target=System.${target === 'stdout' ? 'out' : 'err'}`,
    'log4j.appender.console.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.console.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.state.change.logger=WARN',
    '',
  ].join('\n');
}

async function ensureToolLogConfig(cacheDir: string, version: string): Promise<string[]> {
  const file = join(cacheDir, `kafka-${version}`, isKafka4(version) ? 'tools-log4j2.properties' : 'tools-log4j.properties');
  if (!existsSync(file)) await writeFile(file, loggingConfig(version, 'WARN', 'stderr'));
  return loggingSystemProperties(version, file);
}

let javaChecked = false;

/** Fail with a clear LocalEnvironmentError when no `java` (17+) is on the PATH. */
export async function requireJava(): Promise<void> {
  if (javaChecked) return;
  await requireCommand('java', ['-version'], 'Java 17 or newer is needed to run the local Kafka brokers; install it (apt-get install openjdk-17-jre-headless)');
  javaChecked = true;
}

async function requireCommand(command: string, args: string[], hint: string): Promise<void> {
  let result: ToolResult;
  try {
    result = await runCommand(command, args);
  } catch (err) {
    throw new LocalEnvironmentError(`${command} was not found on the PATH. ${hint}`, { cause: err, command });
  }
  if (result.code !== 0) {
    throw new LocalEnvironmentError(`"${command} ${args.join(' ')}" failed (exit ${result.code}). ${hint}`, { command });
  }
}

/** Run a command to completion, collecting output. Rejects only when the command cannot be started. */
export function runCommand(command: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output, stdout }));
  });
}

/** The last `n` non-empty lines of a text. */
export function lastLines(text: string, n: number): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .join('\n');
}
