import { ConfigError } from '../errors';
import type { ClientConfigValue, ConfigEntryRef } from '../cutover/plan';

/**
 * Reads and writes the client-config entries services read their Kafka connection from (a Secrets Manager
 * secret, an SSM parameter, or the local JSON file store). Values are JSON objects
 * (`{bootstrapServers, cluster?, paused?, ...auth}`); the cutover never logs them (they may hold credentials).
 * AWS adapter: `src/adapters/aws/configStore.ts`; local: `src/adapters/local/configStore.ts`.
 */
export interface ClientConfigStore {
  /** The current value; `undefined` when the entry does not exist. */
  read(ref: ConfigEntryRef): Promise<ClientConfigValue | undefined>;
  /** Replace the value (creating the entry if the store allows it). */
  write(ref: ConfigEntryRef, value: ClientConfigValue): Promise<void>;
}

/** A short, value-free name for an entry, for audit records and messages. */
export function describeEntry(ref: ConfigEntryRef): string {
  return `${ref.store}:${ref.id}`;
}

/**
 * One store per entry kind (`local` file, `secretsmanager`, `ssm`); an entry of a kind with no store is a ConfigError.
 *
 * @example
 * ```ts
 * const store = routeConfigStores({ local: createFileConfigStore('config.json'), secretsmanager: aws, ssm: aws });
 * ```
 */
export function routeConfigStores(stores: Partial<Record<ConfigEntryRef['store'], ClientConfigStore>>): ClientConfigStore {
  const pick = (ref: ConfigEntryRef): ClientConfigStore => {
    const store = stores[ref.store];
    if (!store) {
      throw new ConfigError(`Config entry ${describeEntry(ref)}: no "${ref.store}" store here; expected one of ${Object.keys(stores).join(', ')}`, {
        field: 'configEntries.store',
      });
    }
    return store;
  };
  return { read: (ref) => pick(ref).read(ref), write: (ref, value) => pick(ref).write(ref, value) };
}
