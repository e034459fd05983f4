import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ClientConfigValueSchema, type ClientConfigValue, type ConfigEntryRef } from '../../cutover/plan';
import { parseConfig } from '../../config/parse';
import { ConfigError, LocalEnvironmentError } from '../../errors';
import type { ClientConfigStore } from '../../ports/clientConfigStore';

/**
 * The local {@link ClientConfigStore}: one JSON file `{ "<id>": {bootstrapServers, ...}, ... }` that local
 * services (and the rehearsal's producers) re-read. Writes go through a temp file and a rename, so a reader
 * never sees half a file.
 *
 * @example
 * ```ts
 * const store = createFileConfigStore('/tmp/kbridge/client-config.json');
 * await store.write({ store: 'local', id: 'orders-producer' }, { bootstrapServers: '127.0.0.1:19092' });
 * ```
 */
export function createFileConfigStore(path: string): ClientConfigStore & { readAll(): Promise<Record<string, ClientConfigValue>> } {
  let queue: Promise<unknown> = Promise.resolve();
  const readAll = async (): Promise<Record<string, ClientConfigValue>> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new LocalEnvironmentError(`Cannot read the local config store ${path}`, { cause: err, field: 'configStore' });
    }
    try {
      return JSON.parse(text) as Record<string, ClientConfigValue>;
    } catch (err) {
      throw new ConfigError(`The local config store ${path} is not valid JSON`, { cause: err, field: 'configStore' });
    }
  };
  return {
    readAll,
    read: async (ref: ConfigEntryRef) => {
      const value = (await readAll())[ref.id];
      return value === undefined ? undefined : parseConfig(ClientConfigValueSchema, value, `config entry local:${ref.id}`);
    },
    write: (ref: ConfigEntryRef, value: ClientConfigValue) => {
      // Serialised: two steps writing different entries must not lose each other's update.
      const next = queue.then(async () => {
        const all = await readAll();
        all[ref.id] = value;
        await mkdir(dirname(path), { recursive: true });
        const tmp = `${path}.${process.pid}.tmp`;
        await writeFile(tmp, `${JSON.stringify(all, null, 2)}\n`);
        await rename(tmp, path);
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
