import type { Command } from 'commander';

/**
 * `kbridge local up|down|status|restart|prepare`: the two local Kafka clusters and the local AWS (moto) server.
 * `up --json` prints exactly the LocalClustersInfo contract of src/local/types.ts.
 */
export function register(program: Command): void {
  const local = program.command('local').description('Local Kafka clusters (source, target) and the local AWS server (moto)');

  local
    .command('up')
    .description('Start (or reuse) the source and target clusters and moto; wait until they answer')
    .option('--json', 'print the clusters\' connection info as JSON (the LocalClustersInfo contract)')
    .option('--no-aws', 'do not start the local moto server')
    .action(async (opts: { json?: boolean; aws: boolean }) => {
      const { settings, clusters, moto } = await load();
      const progress = opts.json ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
      const [up, aws] = await Promise.all([
        clusters.localUp(settings, progress),
        opts.aws ? moto.startMoto(settings, progress) : Promise.resolve(undefined),
      ]);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(up.info, null, 2)}\n`);
        return;
      }
      const lines = [`Kafka ${up.info.kafkaVersion} (state in ${settings.stateDir})`];
      for (const name of ['source', 'target'] as const) {
        const c = up.info[name];
        const how = up.started.includes(name) ? 'started' : 'reused';
        lines.push(
          `  ${name.padEnd(6)} ${how.padEnd(7)} PLAINTEXT ${c.bootstrapServers}   SASL_PLAINTEXT/SCRAM-SHA-512 ${c.saslScram512.bootstrapServers} ` +
            `(user ${c.saslScram512.username}; password: kbridge local up --json)`,
        );
      }
      if (aws) lines.push(`  aws    ${(aws.started ? 'started' : 'reused').padEnd(7)} ${aws.aws.endpoint} (moto, region ${aws.aws.region})`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  local
    .command('down')
    .description('Stop both clusters and moto, and remove the clusters\' data')
    .option('--json', 'print what was stopped as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { settings, clusters, moto } = await load();
      const lines: string[] = [];
      await clusters.localDown(settings, (line) => lines.push(line));
      const aws = await moto.stopMoto(settings);
      lines.push(`moto: ${aws}`);
      process.stdout.write(opts.json ? `${JSON.stringify({ stopped: lines })}\n` : `${lines.join('\n')}\n`);
    });

  local
    .command('status')
    .description('Show whether each cluster and moto is running, with addresses')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { settings, clusters, moto } = await load();
      const [status, aws] = await Promise.all([clusters.localStatus(settings), moto.motoStatus(settings)]);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...status, aws }, null, 2)}\n`);
        return;
      }
      const lines = [`state dir ${status.stateDir}`];
      for (const c of [status.source, status.target]) {
        lines.push(
          c.state === 'stopped'
            ? `  ${c.name.padEnd(6)} stopped`
            : `  ${c.name.padEnd(6)} ${c.state.padEnd(9)} pid ${c.pid} Kafka ${c.kafkaVersion} PLAINTEXT ${c.bootstrapServers} SCRAM-SHA-512 ${c.saslScram512BootstrapServers}`,
        );
      }
      lines.push(`  aws    ${aws.state.padEnd(9)} ${aws.endpoint}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  local
    .command('restart')
    .description('Restart one broker keeping its data')
    .argument('<cluster>', 'source or target')
    .option('--json', 'print the cluster\'s connection info as JSON')
    .action(async (cluster: string, opts: { json?: boolean }) => {
      if (cluster !== 'source' && cluster !== 'target') {
        const { ConfigError } = await import('../../errors');
        throw new ConfigError(`cluster must be "source" or "target", got "${cluster}"`, { field: 'cluster' });
      }
      const { settings, clusters } = await load();
      const info = await clusters.restartBroker(settings, cluster, opts.json ? () => {} : (l) => process.stderr.write(`${l}\n`));
      process.stdout.write(opts.json ? `${JSON.stringify(info, null, 2)}\n` : `${cluster} restarted on ${info.bootstrapServers}\n`);
    });

  local
    .command('prepare')
    .description('Fetch the Kafka jars (Maven Central) and install moto (PyPI) into the cache, without starting anything')
    .option('--json', 'print what was prepared as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { settings, dist, moto } = await load();
      const progress = opts.json ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
      const kafka = await dist.ensureKafkaDistribution(settings.cacheDir, settings.kafkaVersion, progress);
      const aws = await moto.ensureMotoInstalled(settings, progress);
      const result = { kafkaVersion: settings.kafkaVersion, kafkaLib: kafka.libDir, jars: kafka.jarCount, kafkaFetched: kafka.fetched, motoInstalled: aws.installed };
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(result)}\n`
          : `Kafka ${result.kafkaVersion}: ${result.jars} jars in ${result.kafkaLib} (${kafka.fetched ? 'fetched' : 'cached'}); moto ${aws.installed ? 'installed' : 'cached'}\n`,
      );
    });
}

// Loaded inside actions so `kbridge --help` does not pay for a Kafka client library.
async function load() {
  const [{ resolveLocalSettings }, clusters, moto, dist] = await Promise.all([
    import('../../local/clusters/settings'),
    import('../../local/clusters/clusters'),
    import('../../local/moto'),
    import('../../local/clusters/kafkaDist'),
  ]);
  return { settings: resolveLocalSettings(process.env), clusters, moto, dist };
}
