import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');

/** One `kbridge esm run` process running the bridge Lambda (functions/bridge/handler.ts). */
export interface EsmRun {
  child: ChildProcess;
  /** Resolves once the emulator printed its `{ mappings }` line (every mapping joined its group). */
  started: Promise<void>;
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

export interface BridgeEsmOptions {
  bridgeId: string;
  topic: string;
  consumerGroupId: string;
  sourceServers: string;
  targetServers: string;
  batchSize: number;
  /** Extra bridge environment (PARTITION_CONCURRENCY, ...). */
  environment?: Record<string, string>;
}

/**
 * Write an emulator config that runs the deployed bridge handler with its environment from the config,
 * as a console user would set it on the function.
 */
export async function writeBridgeEsmConfig(dir: string, o: BridgeEsmOptions): Promise<string> {
  const file = join(dir, `esm-${o.bridgeId}.json`);
  const config = {
    functions: {
      bridge: {
        handler: `${join(root, 'functions/bridge/handler')}.handler`,
        timeout: 60,
        environment: {
          BRIDGE_ID: o.bridgeId,
          TARGET_BOOTSTRAP_SERVERS: o.targetServers,
          SOURCE_BOOTSTRAP_SERVERS: o.sourceServers,
          POWERTOOLS_LOG_LEVEL: 'WARN',
          ...o.environment,
        },
        events: [{ kafka: { bootstrapServers: o.sourceServers, topic: o.topic, consumerGroupId: o.consumerGroupId, batchSize: o.batchSize, maximumBatchingWindow: 0.1 } }],
      },
    },
  };
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

/**
 * Start `node bin/kbridge.mjs esm run --config FILE --json` with a 6 s session timeout (the broker's minimum),
 * so an incarnation started after a SIGKILL gets the partitions once the dead member's session expires.
 */
export function startEsmRun(configFile: string, extraArgs: string[] = []): EsmRun {
  const child = spawn(process.execPath, [join(root, 'bin/kbridge.mjs'), 'esm', 'run', '--config', configFile, '--json', '--grace-ms', '0', '--session-timeout-ms', '6000', ...extraArgs], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const started = new Promise<void>((resolveStarted, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      // Powertools log and EMF lines share stdout with the emulator's summary line.
      if (out.split('\n').some((l) => l.startsWith('{"mappings"'))) resolveStarted();
    });
    child.once('exit', (code, signal) => reject(new Error(`kbridge esm run exited before starting (${code ?? signal}): ${err.slice(-2000)}`)));
  });
  started.catch(() => undefined);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, started, exited, stdout: () => out, stderr: () => err };
}

/** Sum of one EMF metric over the bridge's metric lines in an incarnation's stdout. */
export function sumMetric(stdout: string, name: string): number {
  let sum = 0;
  for (const line of stdout.split('\n')) {
    if (!line.includes('"_aws"')) continue;
    try {
      const value = (JSON.parse(line) as Record<string, unknown>)[name];
      if (typeof value === 'number') sum += value;
    } catch {
      // a partial line of a killed process
    }
  }
  return sum;
}
