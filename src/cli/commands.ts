import type { Command } from 'commander';

/**
 * Each command lives in its own module under `src/cli/commands/` and exports `register(program)`.
 * Modules are imported lazily inside the action where possible so `kbridge --help` stays fast.
 */
export function registerCommands(_program: Command): void {
  // commands register here
}
