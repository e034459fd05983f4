import type { Command } from 'commander';
import { register as registerLocal } from './commands/local';
import { register as registerEsm } from './commands/esm';
import { register as registerLag } from './commands/lag';
import { register as registerOffsets } from './commands/offsets';
import { register as registerVerify } from './commands/verify';
import { register as registerTopics } from './commands/topics';
import { register as registerRehearse } from './commands/rehearse';
import { register as registerCutover } from './commands/cutover';

/**
 * Each command lives in its own module under `src/cli/commands/` and exports `register(program)`.
 * Modules are imported lazily inside the action where possible so `kbridge --help` stays fast.
 */
export function registerCommands(program: Command): void {
  registerLocal(program);
  registerEsm(program);
  registerLag(program);
  registerOffsets(program);
  registerVerify(program);
  registerTopics(program);
  registerRehearse(program);
  registerCutover(program);
  // commands register here
}
