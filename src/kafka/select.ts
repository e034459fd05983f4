import { ConfigError } from '../errors';
import { KafkaClientKinds, type KafkaClientKind } from './port';

/**
 * The adapter a process uses when a caller does not name one. Functions read `KAFKA_CLIENT` once at init
 * (through {@link parseKafkaClientEnv}); the CLI sets it from `--kafka-client` or the same variable.
 */
export const DEFAULT_KAFKA_CLIENT: KafkaClientKind = 'platformatic';

let selected: KafkaClientKind | undefined;

/**
 * `KAFKA_CLIENT` (`kafkajs` | `platformatic`), or the default when unset or empty.
 * Any other value is a {@link ConfigError} naming the variable, the value and the accepted values.
 *
 * @example
 * ```ts
 * setDefaultKafkaClient(parseKafkaClientEnv(process.env));
 * ```
 */
export function parseKafkaClientEnv(env: Readonly<Record<string, string | undefined>>): KafkaClientKind {
  const raw = env.KAFKA_CLIENT?.trim();
  if (raw === undefined || raw === '') return DEFAULT_KAFKA_CLIENT;
  if ((KafkaClientKinds as readonly string[]).includes(raw)) return raw as KafkaClientKind;
  throw new ConfigError(`KAFKA_CLIENT is "${raw}"; expected one of ${KafkaClientKinds.join(', ')}`, { field: 'KAFKA_CLIENT' });
}

/** Make `kind` the adapter of every client created without an explicit one, for the rest of the process. */
export function setDefaultKafkaClient(kind: KafkaClientKind): void {
  selected = kind;
}

/** The adapter in use: the one set by {@link setDefaultKafkaClient}, else `KAFKA_CLIENT`, else the default. */
export function getDefaultKafkaClient(): KafkaClientKind {
  selected ??= parseKafkaClientEnv(process.env);
  return selected;
}
