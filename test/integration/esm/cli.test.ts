import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { KafkaClient } from '../../../src/kafka';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName, waitFor } from '../../support/helpers';
import { createTopic, produce, sourceBootstrap, sourceKafka } from './support';

const root = resolve(__dirname, '../../..');
const handlers = join(root, 'test/fixtures/esm/handlers');

let kafka: KafkaClient;
const children: ChildProcess[] = [];

beforeAll(async () => {
  kafka = await sourceKafka();
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Line {
  event: { records: Record<string, Array<{ offset: number }>> };
  pid: number;
}

async function readLines(file: string): Promise<Line[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Line);
}

function run(config: string): { child: ChildProcess; started: Promise<string>; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [join(root, 'bin/kbridge.mjs'), 'esm', 'run', '--config', config, '--json', '--grace-ms', '0'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const started = new Promise<string>((resolveStarted, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('\n')) resolveStarted(stdout.split('\n')[0] as string);
    });
    child.once('exit', (code) => reject(new Error(`kbridge exited early (${code}): ${stderr.slice(-2000)}`)));
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, started, exited, stderr: () => stderr };
}

describe('kbridge esm run (subprocess)', () => {
  it('abandons the in-flight batch on SIGTERM, exits 0, and the restart loses nothing', async () => {
    // Prepare
    const topic = await createTopic(kafka, 3, 'esm-cli');
    const total = 30;
    await produce(kafka, topic, Array.from({ length: total }, (_, i) => ({ partition: i % 3, key: `k${i}`, value: `v${i}` })));
    const dir = await mkdtemp(join(tmpdir(), 'esm-cli-'));
    const recordFile = join(dir, 'deliveries.jsonl');
    const config = join(dir, 'esm.json');
    await writeFile(
      config,
      JSON.stringify({
        functions: {
          slow: {
            handler: `${relative(dir, handlers)}.recordSlowly`,
            timeout: 30,
            environment: { RECORD_FILE: recordFile, SLOW_MS: '400' },
            events: [{ kafka: { bootstrapServers: sourceBootstrap().join(','), topic, consumerGroupId: uniqueName('esm-cli'), batchSize: 6, maximumBatchingWindow: 0.1 } }],
          },
        },
      }),
    );

    // Act
    const first = run(config);
    const summary = JSON.parse(await first.started) as { mappings: Array<{ id: string; state: string }> };
    await waitFor('a batch in flight', async () => (await readLines(recordFile)).length >= 2, { timeoutMs: 30_000 });
    first.child.kill('SIGTERM');
    const firstExit = await first.exited;
    const firstRun = await readLines(recordFile);
    const second = run(config);
    await second.started;
    const delivered = (lines: Line[]): Set<string> => new Set(lines.flatMap((l) => Object.entries(l.event.records).flatMap(([k, rs]) => rs.map((r) => `${k}@${r.offset}`))));
    await waitFor('every record delivered', async () => delivered(await readLines(recordFile)).size >= total, { timeoutMs: 60_000 });
    second.child.kill('SIGTERM');
    const secondExit = await second.exited;
    const all = await readLines(recordFile);

    // Assess
    expect(summary.mappings).toEqual([expect.objectContaining({ id: 'slow-0', state: 'Enabled' })]);
    expect(firstExit).toBe(0);
    expect(secondExit).toBe(0);
    expect(delivered(all).size).toBe(total);
    // The batch being processed at SIGTERM was not committed, so the second run starts with it again.
    const abandoned = firstRun[firstRun.length - 1] as Line;
    const secondRun = all.slice(firstRun.length);
    const secondRunKeys = delivered(secondRun);
    for (const key of delivered([abandoned])) expect(secondRunKeys.has(key)).toBe(true);
    // Per partition and per run, offsets only grow.
    for (const runLines of [firstRun, secondRun]) {
      const seen: Record<string, number[]> = {};
      for (const l of runLines) for (const [k, rs] of Object.entries(l.event.records)) (seen[k] ??= []).push(...rs.map((r) => r.offset));
      for (const offsets of Object.values(seen)) expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
  });

  it('fails with exit code 3 and names module and export when the handler cannot be loaded', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'esm-cli-bad-'));
    const config = join(dir, 'esm.yml');
    await writeFile(config, `functions:\n  f:\n    handler: ${relative(dir, handlers)}.missingExport\n    events:\n      - kafka: { bootstrapServers: "${sourceBootstrap().join(',')}", topic: t }\n`);

    // Act
    const bad = run(config);
    bad.started.catch(() => undefined);
    const code = await bad.exited;

    // Assess
    expect(code).toBe(3);
    expect(bad.stderr()).toMatch(/HandlerLoadError: Handler module .*handlers\.ts has no function export "missingExport"/);
  });
});
