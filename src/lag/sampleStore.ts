import type { GroupSample } from './status';

/**
 * Where the stateless monitor keeps each group's sample window between runs. Keys are
 * `<cluster>#<group>`. The AWS adapter is DynamoDB (`src/adapters/aws/metricsSampleStore.ts`); the
 * in-memory one serves the CLI's `--watch` and tests.
 */
export interface SampleStore {
  load(keys: string[]): Promise<Map<string, GroupSample[]>>;
  save(entries: Map<string, GroupSample[]>): Promise<void>;
}

/** The store key of a group's window. */
export function sampleKey(cluster: string, groupId: string): string {
  return `${cluster}#${groupId}`;
}

/**
 * A {@link SampleStore} in this process's memory.
 *
 * @example
 * ```ts
 * const store = createMemorySampleStore();
 * ```
 */
export function createMemorySampleStore(): SampleStore & { entries: Map<string, GroupSample[]> } {
  const entries = new Map<string, GroupSample[]>();
  return {
    entries,
    load: async (keys) => new Map(keys.filter((k) => entries.has(k)).map((k) => [k, [...(entries.get(k) ?? [])]])),
    save: async (updates) => {
      for (const [k, v] of updates) entries.set(k, [...v]);
    },
  };
}

/**
 * Append `sample` to a window and keep the newest `size` samples (oldest first).
 *
 * @example
 * ```ts
 * appendSample(previous, toGroupSample(group), 10);
 * ```
 */
export function appendSample(window: GroupSample[], sample: GroupSample, size: number): GroupSample[] {
  const merged = [...window.filter((s) => s.atMs < sample.atMs), sample].sort((a, b) => a.atMs - b.atMs);
  return merged.slice(Math.max(0, merged.length - size));
}
