import { Command, CommanderError, Option } from 'commander';
import { ConfigError, KBridgeError, describeError } from '../errors';
import { KafkaClientKinds } from '../kafka/port';
import { registerCommands } from './commands';

/**
 * `--kafka-client <kind>`, else `KAFKA_CLIENT`, else the project default: the adapter of every Kafka client this
 * process creates. Also exported to `KAFKA_CLIENT`, so processes the command starts (emulators, rehearsal) use it.
 */
async function selectKafkaClient(flag: string | undefined): Promise<void> {
  const { parseKafkaClientEnv, setDefaultKafkaClient } = await import('../kafka');
  if (flag !== undefined && !(KafkaClientKinds as readonly string[]).includes(flag)) {
    throw new ConfigError(`--kafka-client is "${flag}"; expected one of ${KafkaClientKinds.join(', ')}`, { field: '--kafka-client' });
  }
  const kind = parseKafkaClientEnv(flag !== undefined ? { KAFKA_CLIENT: flag } : process.env);
  setDefaultKafkaClient(kind);
  process.env.KAFKA_CLIENT = kind;
}

/**
 * Entry point of the `kbridge` CLI. Returns the process exit code instead of exiting, so tests can call it.
 * Exit codes: 0 success, 1 a check failed (verify found differences, rehearsal lost records),
 * 2 bad usage or configuration, 3 environment/runtime error.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('kbridge')
    .description('Move Kafka workloads to Amazon MSK piecemeal: bridge, lag, cutover, and local rehearsal.')
    .showHelpAfterError()
    .exitOverride()
    .addOption(new Option('--kafka-client <kind>', `Kafka client library: ${KafkaClientKinds.join(' or ')} (default: KAFKA_CLIENT, else the project default)`))
    .hook('preAction', () => selectKafkaClient(program.opts<{ kafkaClient?: string }>().kafkaClient));
  registerCommands(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof KBridgeError) {
      process.stderr.write(`kbridge: ${describeError(err)}\n`);
      return err.name === 'ConfigError' ? 2 : 3;
    }
    process.stderr.write(`kbridge: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 3;
  }
}
