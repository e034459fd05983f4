import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { awaitApprovalDecision, findRunDirByToken, readPendingApproval, sendApprovalDecision, type PendingApproval } from '../../../src/cutover/approval';

const pendingFor = (token: string): PendingApproval => ({ cutoverId: 'orders', state: 'AwaitApproval', taskToken: token, requestedAt: '2025-06-01T00:00:00.000Z' });

describe('local approval channel (task token in the run directory)', () => {
  it('delivers a rejection to the waiting run and cleans up', async () => {
    // Prepare
    const root = await mkdtemp(join(tmpdir(), 'kbridge-approval-'));
    const runDir = join(root, 'orders');
    const waiting = awaitApprovalDecision(runDir, pendingFor('orders:t1'), { pollMs: 20 });
    await expect.poll(() => readPendingApproval(runDir)).toBeDefined();

    // Act
    const found = await findRunDirByToken(root, 'orders:t1');
    await sendApprovalDecision(runDir, { approved: false, error: 'ApprovalRejected', cause: 'change freeze' }, 'orders:t1');

    // Assess
    expect(found).toBe(runDir);
    await expect(waiting).resolves.toEqual({ approved: false, error: 'ApprovalRejected', cause: 'change freeze' });
    expect(await readPendingApproval(runDir)).toBeUndefined();
  });

  it('ignores a decision left for an older token', async () => {
    // Prepare
    const runDir = await mkdtemp(join(tmpdir(), 'kbridge-approval-'));
    const controller = new AbortController();
    const waiting = awaitApprovalDecision(runDir, pendingFor('orders:new'), { pollMs: 20, signal: controller.signal });
    await expect.poll(() => readPendingApproval(runDir)).toBeDefined();

    // Act
    await writeFile(join(runDir, 'approval-decision.json'), JSON.stringify({ approved: true, taskToken: 'orders:old' }));
    await new Promise((r) => setTimeout(r, 100));
    controller.abort(new Error('stopped by the test'));

    // Assess
    await expect(waiting).rejects.toThrow('stopped by the test');
  });

  it('refuses a wrong token or a directory where nothing waits, naming what was expected', async () => {
    // Prepare
    const runDir = await mkdtemp(join(tmpdir(), 'kbridge-approval-'));

    // Act / Assess
    await expect(sendApprovalDecision(runDir, { approved: true })).rejects.toThrow(/No cutover waits for approval/);
    await writeFile(join(runDir, 'approval-pending.json'), JSON.stringify(pendingFor('orders:t1')));
    await expect(sendApprovalDecision(runDir, { approved: true }, 'orders:other')).rejects.toThrow(/Task token does not match/);
  });
});
