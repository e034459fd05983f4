import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Variables of the CLI's connection options: a test passes its own, never the runner's. */
const CONNECTION_VARIABLE = /^(SOURCE|TARGET|KAFKA)_/;

export interface KbridgeResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `kbridge` as a user would (`node bin/kbridge.mjs ...`); resolves with the exit code and output, never
 * rejects on a non-zero exit. The child gets this process's environment (moto endpoint, region) without any
 * `SOURCE_*` / `TARGET_*` / `KAFKA_*` variable (but `KAFKA_CLIENT`), plus `env`.
 */
export async function runKbridge(args: string[], { env = {}, timeoutMs = 90_000 }: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<KbridgeResult> {
  // KAFKA_CLIENT is not a connection setting: the child runs on the adapter under test.
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => name === 'KAFKA_CLIENT' || !CONNECTION_VARIABLE.test(name)));
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/kbridge.mjs', ...args], { timeout: timeoutMs, env: { ...base, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
