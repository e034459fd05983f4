/** One thing a step changed, with what it was before (rollback restores `from`). Never holds a secret value. */
export interface AuditChange {
  kind: 'config' | 'trigger' | 'trigger-created' | 'offsets' | 'fence';
  /** What was changed: `secretsmanager:<id>`, a mapping id, `group@topic`. */
  target: string;
  from: unknown;
  to: unknown;
}

/**
 * One line of a cutover's audit trail. `event`:
 * - `done`: the step finished; `result` is what it returned (a re-run returns it again: idempotence);
 * - `change`: one change, written *before* the next one is made, so rollback sees everything;
 * - `probe`: one observation of a polling step (drain samples, verification samples);
 * - `failed` / `rolled-back`: the failure that started the rollback and what the rollback restored.
 */
export interface AuditRecord {
  cutoverId: string;
  step: string;
  event: 'done' | 'change' | 'probe' | 'failed' | 'rolled-back';
  at: string;
  change?: AuditChange;
  result?: unknown;
  detail?: unknown;
}

/**
 * Append-only audit of a cutover. AWS adapter: one S3 object per record (`src/adapters/aws/audit.ts`);
 * local: a JSON-lines file (`src/adapters/local/audit.ts`). Records come back in append order.
 */
export interface AuditLog {
  append(record: AuditRecord): Promise<void>;
  list(cutoverId: string): Promise<AuditRecord[]>;
}
