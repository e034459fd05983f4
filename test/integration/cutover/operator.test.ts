import { spawn } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readPendingApproval, sendApprovalDecision } from '../../../src/cutover/approval';
import { runCutoverLocally } from '../../../src/cutover/localRun';
import { withKafkaAdmin } from '../../../src/kafka';
import { waitFor } from '../../support/helpers';
import { checkExactlyOnceInOrder, CutoverRig, expectBackOnSource, runFailing, settle } from './support';

const rigs: CutoverRig[] = [];
afterEach(async () => {
  while (rigs.length > 0) await rigs.pop()?.close();
});

/** Run the CLI as a user does (tsx loader, no build). */
function kbridge(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['bin/kbridge.mjs', ...args], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`kbridge ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function groupOffsets(rig: CutoverRig, cluster: 'source' | 'target'): Promise<unknown> {
  return withKafkaAdmin(rig.deps.kafka[cluster], (admin) => admin.fetchCommittedOffsets(rig.plan.consumerGroups[0]!.groupId, rig.plan.topics));
}

describe('cutover manual approval (local task token)', () => {
  it('pauses at the approval state until the operator approves, then completes', async () => {
    // Prepare
    const rig = await CutoverRig.create({ approval: 'manual' });
    rigs.push(rig);
    const runDir = join(rig.dir, 'run');
    rig.startProducer(40);
    await waitFor('records flowing on the source', () => rig.consumed.length > 10, { timeoutMs: 30_000 });

    // Act
    const run = runCutoverLocally({ deps: rig.deps, pollMs: 300, runDir });
    const pending = await waitFor('the run waits for approval', () => readPendingApproval(runDir), { timeoutMs: 40_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const consumerWhileWaiting = await rig.store.read({ store: 'local', id: 'app-consumer' });
    await sendApprovalDecision(runDir, { approved: true }, pending.taskToken);
    const result = await run;
    await settle(rig);

    // Assess
    expect(pending.state).toBe('AwaitApproval');
    expect(consumerWhileWaiting).toMatchObject({ cluster: 'source' });
    expect(result.error ? `${result.error}: ${result.cause}` : result.status).toBe('SUCCEEDED');
    const approvals = (await rig.deps.audit.list(rig.plan.cutoverId)).filter((r) => r.step === 'approval').map((r) => r.detail);
    expect(approvals).toEqual([
      { pending: true, state: 'AwaitApproval', taskToken: pending.taskToken },
      { pending: false, state: 'AwaitApproval', taskToken: pending.taskToken, approved: true },
    ]);
    expect(await rig.store.read({ store: 'local', id: 'app-consumer' })).toMatchObject({ cluster: 'target' });
    expect(checkExactlyOnceInOrder(rig)).toEqual([]);
    await expect(access(join(runDir, 'approval-pending.json'))).rejects.toThrow();
  });

  it('rolls back when the operator rejects with `kbridge cutover approve --reject`, nothing lost', async () => {
    // Prepare
    const rig = await CutoverRig.create({ approval: 'manual' });
    rigs.push(rig);
    const runDir = join(rig.dir, 'run');
    const rejecting = (async () => {
      const pending = await waitFor('the run waits for approval', () => readPendingApproval(runDir), { timeoutMs: 60_000 });
      return kbridge(['cutover', 'approve', '--run-dir', runDir, '--token', pending.taskToken, '--reject', '--cause', 'change freeze']);
    })();

    // Act
    const result = await runFailing(rig, { runDir });
    const cli = await rejecting;

    // Assess
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/^rejected: cutover /);
    expect(result.error).toBe('ApprovalRejected');
    await expectBackOnSource(rig, result, /change freeze/);
  });
});

describe('kbridge cutover --dry-run', () => {
  it('changes nothing, ignores failAt, prints what each step would change, and keeps library logs off stdout', async () => {
    // Prepare
    const rig = await CutoverRig.create({ failAt: 'switchConsumerConfig' });
    rigs.push(rig);
    rig.startProducer(40);
    await waitFor('records flowing on the source', () => rig.consumed.length > 10, { timeoutMs: 30_000 });
    await settle(rig);
    const planFile = join(rig.dir, 'plan.json');
    await writeFile(planFile, JSON.stringify(rig.plan));
    const storeFile = join(rig.dir, 'client-config.json');
    const storeBefore = await readFile(storeFile, 'utf8');
    const sourceOffsetsBefore = await groupOffsets(rig, 'source');
    const targetOffsetsBefore = await groupOffsets(rig, 'target');
    const runDir = join(rig.dir, 'run');

    // Act
    const out = await kbridge(['cutover', '--plan', planFile, '--dry-run', '--config-store', storeFile, '--audit', join(rig.dir, 'audit.jsonl'), '--run-dir', runDir, '--poll-ms', '300']);

    // Assess
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/failAt \(switchConsumerConfig\) is ignored in --dry-run/);
    expect(out.stdout).toMatch(/^SUCCEEDED in \d+ ms/m);
    for (const state of ['Preflight', 'FenceProducers', 'WaitDrained', 'StopSourceConsumers', 'TranslateAndSeedOffsets', 'SwitchConsumerConfig', 'SwitchProducerConfig', 'StartTargetConsumers', 'StartTargetProducers', 'Verify']) {
      expect(out.stdout).toMatch(new RegExp(`✓ ${state} \\(dry-run\\)`));
    }
    expect(out.stdout).toMatch(/would change fence local:app-producer/);
    expect(out.stdout).toMatch(/would change trigger app-source-0: "Enabled" → "Disabled"/);
    expect(out.stdout).toMatch(/would change offsets /);
    expect(out.stdout).toMatch(/would change config local:app-consumer/);
    expect(out.stdout).not.toMatch(/"level"|kafkajs|WARN/);
    expect(await readFile(storeFile, 'utf8')).toBe(storeBefore);
    expect((await rig.deps.triggers.status(rig.plan.consumerGroups[0]!.sourceTriggers[0]!)).state).toBe('Enabled');
    expect((await rig.deps.triggers.status(rig.plan.consumerGroups[0]!.targetTriggers[0] as { id: string })).state).toBe('Disabled');
    expect(await groupOffsets(rig, 'source')).toEqual(sourceOffsetsBefore);
    expect(await groupOffsets(rig, 'target')).toEqual(targetOffsetsBefore);
    expect(await rig.deps.audit.list(rig.plan.cutoverId)).toEqual([]);
    await expect(access(join(runDir, 'cutover.log'))).resolves.toBeUndefined();
  });
});
