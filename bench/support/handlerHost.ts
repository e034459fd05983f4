/**
 * The bridge handler in a process of its own, as Lambda runs it: the emulator (the poller, AWS's side in a
 * deployment) sends each event over IPC, this process runs `bridgeHandler` on it and answers. Its CPU time while
 * at least one invocation is in flight is the handler's own time (what Lambda bills): event parsing, record
 * decoding, the transactional produce and the checkpoint, with nothing of the poller's fetching in it.
 *
 * Started by bench/bridge-vs-mm2.ts (`startHandlerHost`); messages: `{type:'invoke', id, event}` →
 * `{type:'result', id, result | error}`, `{type:'cpu'}` → `{type:'cpu', ms}`, `{type:'close'}`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createBridgeLambda } from '../../src/bridge/lambda';
import type { KafkaClientKind, StructuredLogger } from '../../src/kafka';

type Request = { type: 'invoke'; id: number; event: unknown } | { type: 'cpu' } | { type: 'close' };
type Reply = { type: 'result'; id: number; result?: unknown; error?: string } | { type: 'cpu'; ms: number } | { type: 'ready' };

export interface HandlerHost {
  invoke(event: unknown): Promise<unknown>;
  /** CPU ms of the host process while at least one invocation was in flight (overlaps counted once). */
  cpuMs(): Promise<number>;
  close(): Promise<void>;
}

/** Fork the host with the bridge's environment; resolves once its handler is built. */
export async function startHandlerHost(env: Record<string, string>, client: KafkaClientKind): Promise<HandlerHost> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--host'], {
    env: { ...process.env, ...env, KBRIDGE_BENCH_CLIENT: client, POWERTOOLS_METRICS_DISABLED: 'true' },
    // The event as Lambda's runtime hands it over: JSON text, parsed in the handler's process. (Node's 'advanced'
    // IPC re-concatenates its receive buffer on every chunk: quadratic in the size of a 5 MB event.)
    serialization: 'json',
    // KBRIDGE_BENCH_CPU_PROF=<dir>: a V8 CPU profile of the handler process (open it in Chrome DevTools).
    ...(process.env.KBRIDGE_BENCH_CPU_PROF ? { execArgv: [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${process.env.KBRIDGE_BENCH_CPU_PROF}`] } : {}),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let cpuWaiter: ((ms: number) => void) | undefined;
  let next = 0;
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the handler host exited with code ${code} before it was ready`)));
    child.on('message', (m: Reply) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'cpu') cpuWaiter?.(m.ms);
      else {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error));
        else p?.resolve(m.result);
      }
    });
  });
  child.on('exit', () => {
    for (const p of pending.values()) p.reject(new Error('the handler host exited'));
    pending.clear();
  });
  await ready;
  const send = (m: Request): void => void child.send(m);
  return {
    invoke: (event) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        send({ type: 'invoke', id, event });
      }),
    cpuMs: () =>
      new Promise((resolve) => {
        cpuWaiter = resolve;
        send({ type: 'cpu' });
      }),
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      send({ type: 'close' });
      await exited;
    },
  };
}

async function host(): Promise<void> {
  const quiet: StructuredLogger = { error: (m, ...e) => process.stderr.write(`${m} ${JSON.stringify(e)}\n`), warn: () => {}, info: () => {}, debug: () => {} };
  const client = process.env.KBRIDGE_BENCH_CLIENT as KafkaClientKind;
  const lambda = createBridgeLambda(process.env, {
    logger: new Logger({ serviceName: 'bridge', logLevel: 'ERROR' }),
    metrics: new Metrics({ serviceName: 'bridge', namespace: 'Bench' }),
    kafkaDeps: { logger: quiet, logLevel: 'error', client },
  });
  let inFlight = 0;
  let since: NodeJS.CpuUsage | undefined;
  let micros = 0;
  const reply = (m: Reply): void => void process.send?.(m);
  process.on('message', (m: Request) => {
    if (m.type === 'cpu') return reply({ type: 'cpu', ms: micros / 1000 });
    if (m.type === 'close') {
      void lambda.close().finally(() => process.exit(0));
      return;
    }
    if (inFlight++ === 0) since = process.cpuUsage();
    lambda.bridgeHandler(m.event).then(
      (result) => finish(() => reply({ type: 'result', id: m.id, result })),
      (err: unknown) => finish(() => reply({ type: 'result', id: m.id, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })),
    );
  });
  const finish = (then: () => void): void => {
    if (--inFlight === 0 && since) {
      const d = process.cpuUsage(since);
      micros += d.user + d.system;
    }
    then();
  };
  reply({ type: 'ready' });
}

if (process.argv.includes('--host')) await host();
