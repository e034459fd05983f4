import type { Command } from 'commander';
import { register as registerLocal } from './commands/local';
import { register as registerEsm } from './commands/esm';

/**
 * Each command lives in its own module under `src/cli/commands/` and exports `register(program)`.
 * Modules are imported lazily inside the action where possible so `kbridge --help` stays fast.
 */
export function registerCommands(program: Command): void {
  registerLocal(program);
  registerEsm(program);
  // commands register here
}
