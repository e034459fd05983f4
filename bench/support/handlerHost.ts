/**
 * The bridge handler in a process of its own, as Lambda runs it: the emulator (the poller, AWS's side in a
 * deployment) sends each event, this process runs `bridgeHandler` on it and answers. Its CPU time while at least
 * one invocation is in flight is the handler's own time (what Lambda bills): event parsing, record decoding, the
 * transactional produce and the checkpoint, with nothing of the poller's fetching in it.
 *
 * The event travels as Lambda's runtime receives it: JSON bytes (on a pipe of its own, framed by id and length),
 * made into one string and parsed in this process once they all arrived, with the parse counted in the handler's
 * time, as the Node.js runtime's `JSON.parse` of the Runtime API's body is. (Node's IPC channel would parse it
 * instead, outside any invocation, and keep its chunks as young strings meanwhile: GC work Lambda does not do.)
 *
 * Started by bench/bridge-vs-mm2.ts (`startHandlerHost`); IPC messages: `{type:'result', id, result | error}`,
 * `{type:'cpu'}` → `{type:'cpu', ms, systemMs}`, `{type:'close'}`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createBridgeLambda } from '../../src/bridge/lambda';
import type { KafkaClientKind, StructuredLogger } from '../../src/kafka';

type Request = { type: 'cpu' } | { type: 'close' };
type Reply = { type: 'result'; id: number; result?: unknown; error?: string } | { type: 'cpu'; ms: number; systemMs: number } | { type: 'ready' };

/** The events' pipe in the child (after stdin, stdout, stderr and the IPC channel). */
const EVENT_FD = 4;
/** Each event on that pipe: its id and byte length (uint32 BE each), then its JSON. */
const FRAME_HEADER = 8;

export interface HandlerHost {
  invoke(event: unknown): Promise<unknown>;
  /** CPU ms of the host process while at least one invocation was in flight (overlaps counted once), and its system part. */
  cpuMs(): Promise<{ ms: number; systemMs: number }>;
  close(): Promise<void>;
}

/** Fork the host with the bridge's environment; resolves once its handler is built. */
export async function startHandlerHost(env: Record<string, string>, client: KafkaClientKind): Promise<HandlerHost> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--host'], {
    env: { ...process.env, ...env, KBRIDGE_BENCH_CLIENT: client, POWERTOOLS_METRICS_DISABLED: 'true' },
    serialization: 'json',
    // KBRIDGE_BENCH_CPU_PROF=<dir>: a V8 CPU profile of the handler process (open it in Chrome DevTools).
    // KBRIDGE_BENCH_HANDLER_ARGS: more Node/V8 flags for it (e.g. "--trace-gc").
    execArgv: [
      ...process.execArgv,
      ...(process.env.KBRIDGE_BENCH_HANDLER_ARGS ?? '').split(' ').filter(Boolean),
      ...(process.env.KBRIDGE_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.KBRIDGE_BENCH_CPU_PROF}`] : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
  });
  const events = child.stdio[EVENT_FD] as Writable;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let cpuWaiter: ((cpu: { ms: number; systemMs: number }) => void) | undefined;
  let next = 0;
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the handler host exited with code ${code} before it was ready`)));
    child.on('message', (m: Reply) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'cpu') cpuWaiter?.({ ms: m.ms, systemMs: m.systemMs });
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
        // Serialising is the poller's work (AWS's side), as in Lambda: done here, in the parent.
        const body = Buffer.from(JSON.stringify(event), 'utf8');
        const header = Buffer.allocUnsafe(FRAME_HEADER);
        header.writeUInt32BE(id, 0);
        header.writeUInt32BE(body.length, 4);
        events.write(header);
        events.write(body);
      }),
    cpuMs: () =>
      new Promise((resolve) => {
        cpuWaiter = resolve;
        send({ type: 'cpu' });
      }),
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      events.end();
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
  let systemMicros = 0;
  const reply = (m: Reply): void => void process.send?.(m);
  process.on('message', (m: Request) => {
    if (m.type === 'cpu') return reply({ type: 'cpu', ms: micros / 1000, systemMs: systemMicros / 1000 });
    if (m.type === 'close') void lambda.close().finally(() => process.exit(0));
  });
  const invoke = (id: number, body: Buffer): void => {
    if (inFlight++ === 0) since = process.cpuUsage();
    let event: unknown;
    try {
      // What Lambda's Node.js runtime does with the Runtime API's answer: one string, JSON.parse, the handler.
      event = JSON.parse(body.toString('utf8'));
    } catch (err) {
      finish(() => reply({ type: 'result', id, error: String(err) }));
      return;
    }
    lambda.bridgeHandler(event).then(
      (result) => finish(() => reply({ type: 'result', id, result })),
      (err: unknown) => finish(() => reply({ type: 'result', id, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })),
    );
  };
  const finish = (then: () => void): void => {
    if (--inFlight === 0 && since) {
      const d = process.cpuUsage(since);
      micros += d.user + d.system;
      systemMicros += d.system;
    }
    then();
  };
  // The events' pipe: frames of id, length and JSON, gathered as Buffers (outside V8's young generation) and
  // joined once a frame is whole.
  let chunks: Buffer[] = [];
  let buffered = 0;
  let frameBytes = Number.POSITIVE_INFINITY;
  createReadStream('', { fd: EVENT_FD, highWaterMark: 1 << 20 }).on('data', (chunk: Buffer | string) => {
    chunks.push(chunk as Buffer);
    buffered += chunk.length;
    for (;;) {
      if (frameBytes === Number.POSITIVE_INFINITY && buffered >= FRAME_HEADER) {
        if ((chunks[0] as Buffer).length < FRAME_HEADER) chunks = [Buffer.concat(chunks)];
        frameBytes = FRAME_HEADER + (chunks[0] as Buffer).readUInt32BE(4);
      }
      if (buffered < frameBytes) return;
      const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, buffered);
      invoke(all.readUInt32BE(0), all.subarray(FRAME_HEADER, frameBytes));
      const rest = all.subarray(frameBytes);
      chunks = rest.length > 0 ? [rest] : [];
      buffered = rest.length;
      frameBytes = Number.POSITIVE_INFINITY;
    }
  });
  reply({ type: 'ready' });
}

if (process.argv.includes('--host')) await host();
