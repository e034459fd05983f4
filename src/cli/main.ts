import { Command, CommanderError } from 'commander';
import { KBridgeError, describeError } from '../errors';
import { registerCommands } from './commands';

/**
 * Entry point of the `kbridge` CLI. Returns the process exit code instead of exiting, so tests can call it.
 * Exit codes: 0 success, 1 a check failed (verify found differences, rehearsal lost records),
 * 2 bad usage or configuration, 3 environment/runtime error.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('kbridge')
    .description('Move Kafka workloads to Amazon MSK piecemeal: bridge, lag, cutover, and local rehearsal.')
    .showHelpAfterError()
    .exitOverride();
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
