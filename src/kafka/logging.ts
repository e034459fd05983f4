import { logLevel as KafkaLogLevel, type logCreator, type LogEntry } from 'kafkajs';

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

const LEVELS: Record<KafkaLogLevelName, KafkaLogLevel> = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

/** kafkajs numeric level for a level name. */
export function toKafkaLogLevel(name: KafkaLogLevelName): KafkaLogLevel {
  return LEVELS[name];
}

/** Keys whose values are dropped from kafkajs log extras whatever they hold. */
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
 * A kafkajs `logCreator` that routes kafkajs logs into `logger`, keeping only structure we choose:
 * no stacks, sensitive keys dropped, and every occurrence of a known secret value (`redact`, e.g. the
 * SASL password) replaced, so a secret can reach no log line even if kafkajs put it in a message.
 * kafkajs' one-off "switched default partitioner" notice is dropped: it is advice for upgraders, not a fault.
 *
 * @example
 * ```ts
 * new Kafka({ brokers, logLevel: logLevel.WARN, logCreator: createKafkaLogCreator(logger, { cluster: 'target' }) });
 * ```
 */
export function createKafkaLogCreator(
  logger: StructuredLogger,
  { cluster, redact = [] }: { cluster: string; redact?: string[] },
): logCreator {
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
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
      if (typeof message === 'string' && message.startsWith('KafkaJS v2.0.0 switched default partitioner')) return;
      const fields = { kafka: { cluster, namespace, ...(scrub(extra, 0) as Record<string, unknown>) } };
      const text = scrub(String(message), 0) as string;
      // kafkajs' Connection logs every error response at ERROR, though it retries the retriable ones and
      // throws what finally fails; as WARN they stay visible without paging anyone on a leader move.
      const benign = namespace === 'Connection' && text.startsWith('Response ');
      if (level === KafkaLogLevel.ERROR && !benign) logger.error(text, fields);
      else if (level === KafkaLogLevel.ERROR || level === KafkaLogLevel.WARN) logger.warn(text, fields);
      else if (level === KafkaLogLevel.INFO) logger.info(text, fields);
      else logger.debug(text, fields);
    };
}
