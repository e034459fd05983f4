import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LocalEnvironmentError } from '../../errors';
import type { AuditLog, AuditRecord } from '../../ports/auditLog';

/**
 * The local {@link AuditLog}: one JSON line per record in one file (all cutovers; `list` filters by id).
 *
 * @example
 * ```ts
 * const audit = createJsonlAuditLog('/tmp/kbridge/cutover-audit.jsonl');
 * ```
 */
export function createJsonlAuditLog(path: string): AuditLog {
  return {
    append: async (record: AuditRecord) => {
      await mkdir(dirname(path), { recursive: true });
      await appendFile(path, `${JSON.stringify(record)}\n`);
    },
    list: async (cutoverId: string) => {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw new LocalEnvironmentError(`Cannot read the audit log ${path}`, { cause: err, field: 'auditLog' });
      }
      return text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as AuditRecord)
        .filter((r) => r.cutoverId === cutoverId);
    },
  };
}

/**
 * An {@link AuditLog} in memory (unit tests, `--dry-run`).
 *
 * @example
 * ```ts
 * const audit = createMemoryAuditLog();
 * ```
 */
export function createMemoryAuditLog(): AuditLog & { records: AuditRecord[] } {
  const records: AuditRecord[] = [];
  return {
    records,
    append: async (r) => {
      records.push(structuredClone(r));
    },
    list: async (id) => records.filter((r) => r.cutoverId === id).map((r) => structuredClone(r)),
  };
}
