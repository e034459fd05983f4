import { ConfigError, LocalEnvironmentError } from '../../errors';
import type { TriggerCreateSpec, TriggerRef } from '../../cutover/plan';
import type { TriggerControl, TriggerStatus } from '../../ports/triggerControl';

/**
 * The local {@link TriggerControl}: the ESM emulator's HTTP control API (`kbridge esm run`), given per mapping
 * as `controlUrl` in the plan (or `defaultControlUrl`). Mappings cannot be created locally: declare the target
 * mapping in the emulator's config with `enabled: false` and list it by id.
 *
 * @example
 * ```ts
 * const triggers = createEmulatorTriggerControl({ defaultControlUrl: 'http://127.0.0.1:7070' });
 * await triggers.disable({ id: 'orders-0' });
 * ```
 */
export function createEmulatorTriggerControl(options: { defaultControlUrl?: string; fetchImpl?: typeof fetch } = {}): TriggerControl {
  const doFetch = options.fetchImpl ?? fetch;
  const call = async (ref: TriggerRef, method: 'GET' | 'POST', action?: 'enable' | 'disable'): Promise<TriggerStatus> => {
    const base = ref.controlUrl ?? options.defaultControlUrl;
    if (!base) throw new ConfigError(`Mapping ${ref.id}: no controlUrl; expected the emulator's control API URL`, { field: 'controlUrl' });
    const url = `${base.replace(/\/$/, '')}/mappings/${encodeURIComponent(ref.id)}${action ? `/${action}` : ''}`;
    let res: Response;
    try {
      res = await doFetch(url, { method });
    } catch (err) {
      throw new LocalEnvironmentError(`ESM emulator control API ${base} is not reachable (is \`kbridge esm run\` running?)`, { cause: err, retriable: true });
    }
    const body = (await res.json().catch(() => ({}))) as { state?: string; consumerGroupId?: string; error?: string };
    if (res.status === 404) throw new ConfigError(`Mapping ${ref.id}: ${body.error ?? 'not found'} at ${base}`, { field: 'mappingId' });
    if (!res.ok) throw new LocalEnvironmentError(`Mapping ${ref.id}: ${method} ${action ?? ''} answered ${res.status}: ${body.error ?? ''}`, { retriable: true });
    return { id: ref.id, state: body.state ?? 'Unknown', ...(body.consumerGroupId ? { consumerGroupId: body.consumerGroupId } : {}) };
  };
  return {
    status: (ref) => call(ref, 'GET'),
    disable: (ref) => call(ref, 'POST', 'disable'),
    enable: (ref) => call(ref, 'POST', 'enable'),
    create: async (spec: TriggerCreateSpec) => {
      throw new ConfigError(
        `Cannot create a mapping for ${spec.functionName} locally; declare it in the emulator config with enabled: false and list it by id`,
        { field: 'targetTriggers.create' },
      );
    },
  };
}
