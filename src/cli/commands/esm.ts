import type { Command } from 'commander';
import { ConfigError } from '../../errors';

interface RunOptions {
  config?: string;
  serverless?: string;
  function?: string;
  stage?: string;
  controlPort?: string;
  graceMs: string;
  sessionTimeoutMs?: string;
  pollers?: string;
  json?: boolean;
}

/**
 * `kbridge esm run`: run Kafka-triggered Lambda handlers locally through the event source mapping
 * emulator, until SIGINT/SIGTERM. Logs are JSON lines on stderr (one per invocation); with `--json`,
 * stdout gets one JSON line `{ mappings, controlPort }` once every enabled mapping has joined its group.
 */
export function register(program: Command): void {
  const esm = program.command('esm').description("Emulate Lambda's Kafka event source mapping locally");
  esm
    .command('run')
    .description('Consume the configured topics and invoke the handlers exactly as Lambda would')
    .option('--config <file>', 'emulator config (JSON/YAML shaped like serverless.yml functions)')
    .option('--serverless <file>', 'read the kafka/msk events of a serverless.yml service file')
    .option('--function <name>', 'run only this function (its key under functions)')
    .option('--stage <stage>', 'stage for ${sls:stage}/${opt:stage} and function names (serverless files)')
    .option('--control-port <port>', 'serve the control API on 127.0.0.1:<port> (0 = any free port)')
    .option('--grace-ms <ms>', 'on SIGINT/SIGTERM, let the in-flight batch finish for this long before abandoning it uncommitted', '5000')
    .option('--session-timeout-ms <ms>', "consumer group session timeout (default: the Kafka client's, 30000 for kafkajs); lower it so a restart after a crash rejoins quickly (the broker's minimum is 6000 by default)")
    .option('--pollers <n|per-partition>', "emulated event pollers per mapping, each with one invocation in flight (Lambda's provisioned mode; per-partition = fully scaled out); default: the config's provisionedPollerConfig, else 1")
    .option('--json', 'print the started mappings and control port as one JSON line on stdout')
    .action(async (opts: RunOptions) => {
      if ((opts.config === undefined) === (opts.serverless === undefined)) {
        throw new ConfigError('Give exactly one of --config FILE or --serverless FILE', { field: opts.config ? 'serverless' : 'config' });
      }
      const graceMs = parseNonNegativeInt(opts.graceMs, '--grace-ms');
      const controlPort = opts.controlPort === undefined ? undefined : parseNonNegativeInt(opts.controlPort, '--control-port');
      const sessionTimeout = opts.sessionTimeoutMs === undefined ? undefined : parseNonNegativeInt(opts.sessionTimeoutMs, '--session-timeout-ms');
      const pollers = opts.pollers === undefined || opts.pollers === 'per-partition' ? opts.pollers : parseNonNegativeInt(opts.pollers, '--pollers');
      if (pollers === 0) throw new ConfigError('--pollers must be at least 1 or "per-partition"', { field: '--pollers' });
      const [{ loadEsmConfigFile, loadServerlessFile, EsmEmulator }, { resolveAwsClientConfig }, { createJsonLineLogger }] = await Promise.all([
        import('../../local/esm/index'),
        import('../../adapters/aws/clientConfig'),
        import('../../kafka/logging'),
      ]);
      const aws = resolveAwsClientConfig(process.env);
      const loadOptions = {
        env: process.env,
        region: aws.client.region,
        ...(opts.function !== undefined ? { functionName: opts.function } : {}),
        ...(opts.stage !== undefined ? { stage: opts.stage } : {}),
      };
      const mappings = opts.config !== undefined ? await loadEsmConfigFile(opts.config, loadOptions) : await loadServerlessFile(opts.serverless as string, loadOptions);
      const needsSecrets = mappings.some((m) => m.auth.type === 'sasl' || m.auth.type === 'mtls');
      const secrets = needsSecrets ? (await import('../../adapters/aws/secrets')).createAwsSecretReader({ clientConfig: aws }) : undefined;
      const logger = createJsonLineLogger({ component: 'esm' });
      // A crashed member holds its partitions until its session expires; heartbeats at a tenth of it, as kafkajs does.
      const consumer = sessionTimeout === undefined ? undefined : { sessionTimeoutMs: sessionTimeout, heartbeatIntervalMs: Math.max(100, Math.floor(sessionTimeout / 10)) };
      const emulator = new EsmEmulator(mappings, { logger, aws, kafkaDeps: { logger, ...(secrets ? { secrets } : {}) }, ...(consumer ? { consumer } : {}), ...(pollers !== undefined ? { pollers } : {}) });

      let stopping: Promise<void> | undefined;
      const stopped = new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals): void => {
          logger.info('Stopping on signal', { signal, graceMs });
          stopping ??= emulator.stop(graceMs).finally(resolve);
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
      try {
        await emulator.start();
      } catch (err) {
        await emulator.stop(0).catch(() => undefined);
        throw err;
      }
      const port = controlPort === undefined ? undefined : await emulator.listen(controlPort);
      const summary = { mappings: emulator.list(), ...(port !== undefined ? { controlPort: port } : {}) };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      } else {
        for (const m of summary.mappings) {
          process.stdout.write(`${m.id}: ${m.functionName} <- ${m.topic} (group ${m.consumerGroupId}, ${m.state})\n`);
        }
        if (port !== undefined) process.stdout.write(`control API: http://127.0.0.1:${port}/mappings\n`);
        process.stdout.write('Running; Ctrl-C to stop.\n');
      }
      await stopped;
      // Lambda tears an execution environment down without waiting for the handler's own connections (a
      // cached Kafka producer, say); those would keep this process alive, so exit shortly after stopping.
      setTimeout(() => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0), 1000).unref();
    });
}

function parseNonNegativeInt(raw: string, flag: string): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${flag} must be a non-negative integer, got ${JSON.stringify(raw)}`, { field: flag });
  return Number(raw);
}
