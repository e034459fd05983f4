/**
 * The structured logger the Kafka layer writes to. Powertools' `Logger` satisfies it, and so does
 * {@link createJsonLineLogger} (the default, for the CLI and tests).
 */
export interface StructuredLogger {
  error(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  debug(message: string, ...extra: Record<string, unknown>[]): void;
}

export type KafkaLogLevelName = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

/** Keys whose values are dropped from client-library log extras whatever they hold. */
const SENSITIVE_KEY = /pass|secret|token|sasl|ssl|cert|key|credential|authori[sz]ation/i;
const REDACTED = '[redacted]';

/**
 * A one-JSON-object-per-line logger on stderr: what CloudWatch Logs and `jq` both read well.
 *
 * @example
 * ```ts
 * const logger = createJsonLineLogger({ service: 'kbridge' });
 * ```
 */
export function createJsonLineLogger(base: Record<string, unknown> = {}, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): StructuredLogger {
  const emit = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => {
    write(JSON.stringify({ level, timestamp: new Date().toISOString(), message, ...base, ...Object.assign({}, ...extra) }));
  };
  return { error: emit('ERROR'), warn: emit('WARN'), info: emit('INFO'), debug: emit('DEBUG') };
}

/**
 * A scrubber for values bound for a log line: no stacks, sensitive keys dropped, bigints as decimal strings,
 * and every occurrence of a known secret value (`redact`, e.g. the SASL password) replaced, so a secret can
 * reach no log line even if a client library put it in a message. Every adapter's log bridge uses it.
 *
 * @example
 * ```ts
 * const scrub = createLogScrubber([password]);
 * logger.warn(String(scrub(message)), { kafka: scrub(extra) });
 * ```
 */
export function createLogScrubber(redact: readonly string[] = []): (value: unknown) => unknown {
  const secrets = redact.filter((s) => s.length >= 3);
  const scrub = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return secrets.reduce((s, secret) => s.split(secret).join(REDACTED), value);
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) return scrub(`${value.name}: ${value.message}`, depth);
    if (Array.isArray(value)) return depth > 3 ? '[array]' : value.map((v) => scrub(v, depth + 1));
    if (value !== null && typeof value === 'object') {
      if (depth > 3) return '[object]';
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (k === 'stack') continue;
        out[k] = SENSITIVE_KEY.test(k) ? REDACTED : scrub(v, depth + 1);
      }
      return out;
    }
    return value;
  };
  return (value) => scrub(value, 0);
}
