import { isDeepStrictEqual } from 'node:util';
import { ConfigError } from '../errors';
import { describeEntry, type ClientConfigStore } from '../ports/clientConfigStore';
import type { ProducerFence } from '../ports/producerFence';
import type { StepContext } from './context';
import type { ClientConfigValue, ConfigEntry, ConfigEntryRef } from './plan';

/**
 * The {@link ProducerFence} over a {@link ClientConfigStore}: `paused: true` on the entry, and back.
 *
 * @example
 * ```ts
 * await createConfigProducerFence(store).fence({ store: 'local', id: 'orders-producer' });
 * ```
 */
export function createConfigProducerFence(store: ClientConfigStore): ProducerFence {
  const set = async (ref: ConfigEntryRef, paused: boolean): Promise<{ from: unknown; to: unknown; changed: boolean }> => {
    const from = await store.read(ref);
    if (!from) throw new ConfigError(`Config entry ${describeEntry(ref)} does not exist`, { field: 'configEntries' });
    const to = { ...from, paused };
    if ((from.paused ?? false) === paused) return { from, to: from, changed: false };
    await store.write(ref, to);
    return { from, to, changed: true };
  };
  return { fence: (ref) => set(ref, true), unfence: (ref) => set(ref, false) };
}

/**
 * Write `next(current)` to each entry, auditing `{from, to}` first; entries already at `next` are skipped.
 *
 * @example
 * ```ts
 * await rewriteEntries(ctx, consumers, (_cur, e) => e.targetValue);
 * ```
 */
export async function rewriteEntries(
  ctx: StepContext,
  entries: ConfigEntry[],
  next: (current: ClientConfigValue, entry: ConfigEntry) => ClientConfigValue,
  kind: 'config' | 'fence' = 'config',
): Promise<void> {
  const store = ctx.deps.configStore;
  for (const entry of entries) {
    const current = await store.read(entry);
    if (!current) throw new ConfigError(`Config entry ${entry.name} (${describeEntry(entry)}) does not exist`, { field: 'configEntries' });
    assertNoInlineSecret(current, entry);
    const value = next(current, entry);
    if (isDeepStrictEqual(current, value)) continue;
    await ctx.change({ kind, target: describeEntry(entry), from: current, to: value });
    if (!ctx.dryRun) await store.write(entry, value);
  }
}

/** Set `paused` on producer entries (fence / unfence), audited. */
export function fenceEntries(ctx: StepContext, entries: ConfigEntry[], paused: boolean): Promise<void> {
  return rewriteEntries(ctx, entries, (current) => ({ ...current, paused }), 'fence');
}

const SECRET_KEY = /pass(word)?|secret(?!arn)|private.?key|token|credential/i;

/**
 * Config entries the cutover rewrites must reference credentials (`auth.secretArn`, Lambda's secret format),
 * never hold them inline: the audit trail keeps every `from`/`to` value for rollback and must stay secret-free.
 *
 * @example
 * ```ts
 * assertNoInlineSecret({ bootstrapServers: 'b:9096', auth: { type: 'sasl', secretArn: 'arn:...' } }, entry); // ok
 * ```
 */
export function assertNoInlineSecret(value: unknown, entry: { name: string }, path = ''): void {
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_KEY.test(k) && typeof v === 'string') {
      throw new ConfigError(
        `Config entry ${entry.name} holds an inline credential at "${path}${k}"; expected credentials by reference (auth.secretArn) so the audit stays secret-free`,
        { field: `${path}${k}` },
      );
    }
    assertNoInlineSecret(v, entry, `${path}${k}.`);
  }
}
